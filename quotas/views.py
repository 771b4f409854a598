"""Account pages: sign-up, the account page with usage and limits, API tokens (SPEC Q-5).

Log-in, log-out and the password pages are Django's auth views with our
templates (see urls.py).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from monitoring import audit

from . import policy
from .forms import SignUpForm, TokenCreateForm
from .models import Account, ApiToken, Tier


def duration_words(hours: int) -> str:
    """7 days, 24 hours, 1 hour: how long something is kept, in plain words."""
    if hours >= 48 and hours % 24 == 0:
        return f"{hours // 24} days"
    return f"{hours} hour{'' if hours == 1 else 's'}"


def countdown_words(seconds: int) -> str:
    """5 h 12 min: time until the daily allowance starts again."""
    minutes = max(0, seconds) // 60
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} h"
    return f"{minutes} min" if minutes else "under a minute"


def _limit_rows(limits: policy.Limits) -> dict:
    return {
        "extractions_per_day": limits.extractions_per_day,
        "active_portfolios": limits.active_portfolios,
        "retention": duration_words(limits.retention_hours),
    }


def _account_context(request, token_form: TokenCreateForm | None = None) -> dict:
    user = request.user
    account = Account.for_user(user)
    usage = policy.usage_of(request)
    now = timezone.now()
    return {
        "account": account,
        "tier_label": Tier(account.tier).label,
        "is_premium": account.tier == Tier.PREMIUM,
        "usage": usage,
        "reset_in": countdown_words(usage.seconds_to_reset(now) - 1),
        "limits": _limit_rows(policy.limits_for(user)),
        "has_overrides": any(
            v is not None
            for v in (
                account.extractions_per_day,
                account.active_portfolios,
                account.retention_days,
            )
        ),
        "premium": _limit_rows(policy.tier_limits(Tier.PREMIUM)),
        "tokens": ApiToken.objects.active().filter(user=user),
        "token_form": token_form or TokenCreateForm(user=user),
    }


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()  # the Account comes from the post_save signal
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        audit.record("account.created", category=audit.Category.SECURITY, request=request, obj=user)
        return redirect("accounts:home")
    return render(
        request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET"])
def home(request):
    return render(request, "accounts/home.html", _account_context(request))


@login_required
@require_POST
@never_cache
def token_create(request):
    form = TokenCreateForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "accounts/home.html", _account_context(request, form), status=400)
    token, key = form.issue()
    audit.record(
        "token.created",
        category=audit.Category.SECURITY,
        request=request,
        obj=token,
        details={"name": token.name, "prefix": token.key_prefix},
    )
    # The key is rendered in this response and stored nowhere: a reload or the
    # back button cannot show it again (never_cache keeps it out of caches).
    return render(request, "accounts/token_created.html", {"token": token, "key": key})


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken.objects.active(), pk=pk, user=request.user)
    if request.method == "GET":
        return render(request, "accounts/token_revoke.html", {"token": token})
    token.revoke()
    audit.record(
        "token.revoked",
        category=audit.Category.SECURITY,
        request=request,
        obj=token,
        details={"name": token.name, "prefix": token.key_prefix},
    )
    messages.success(request, f"The token “{token.name}” is revoked; it no longer works.")
    return redirect("accounts:home")
