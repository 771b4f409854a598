"""Account pages: sign-up, the account page with usage and limits, API tokens (SPEC Q-5).

Log-in, log-out and the password pages are Django's auth views with our
templates (see urls.py).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from monitoring import audit

from . import mail, policy
from .forms import SignUpForm, TokenCreateForm
from .models import Account, ApiToken, Tier


def duration_words(hours: int) -> str:
    """7 days, 24 hours, 1 hour: how long something is kept, in plain words."""
    if hours >= 48 and hours % 24 == 0:
        return ngettext("%(n)d day", "%(n)d days", hours // 24) % {"n": hours // 24}
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def countdown_words(seconds: int) -> str:
    """5 h 12 min: time until the daily allowance starts again."""
    minutes = max(0, seconds) // 60
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return gettext("%(hours)d h") % {"hours": hours}
    return (
        gettext("%(minutes)d min") % {"minutes": minutes} if minutes else gettext("under a minute")
    )


def _limit_rows(limits: policy.Limits) -> dict:
    return {
        "extractions_per_day": limits.extractions_per_day,
        "active_portfolios": limits.active_portfolios,
        "retention": duration_words(limits.retention_hours),
    }


def _rate_rows(rates: policy.Rates) -> dict:
    return {
        "api_hour": policy.rate_words(rates.api_hour),
        "api_day": policy.rate_words(rates.api_day),
        "batch": policy.rate_words(rates.batch),
        "uploads": policy.rate_words(rates.uploads),
    }


def _account_context(request, token_form: TokenCreateForm | None = None) -> dict:
    user = request.user
    account = Account.for_user(user)
    usage = policy.usage_of(request)
    now = timezone.now()
    return {
        "account": account,
        "tier_label": Tier(policy.tier_of(user)).label,
        "is_premium": policy.tier_of(user) == Tier.PREMIUM,
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
        "is_bulk": policy.tier_of(user) == Tier.BULK,
        "rates": _rate_rows(policy.rates_for(user)),
        "tokens": ApiToken.objects.active().filter(user=user),
        "token_form": token_form or TokenCreateForm(user=user),
    }


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.register()
        if not form.errors:
            # No log-in here: a session cookie for a new address and none for
            # a known one would tell them apart.
            if user is not None:
                audit.record(
                    "account.created",
                    category=audit.Category.SECURITY,
                    request=request,
                    actor=user,
                    obj=user,
                )
            else:
                audit.record(
                    "account.signup_known_address",
                    category=audit.Category.SECURITY,
                    request=request,
                )
            return redirect("accounts:signup_sent")
    return render(
        request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200
    )


@require_safe
def signup_sent(request):
    """The one answer to every valid sign-up, whether the address was new or not."""
    return render(request, "accounts/signup_sent.html")


def _invalid_link(request):
    return render(request, "accounts/confirm_email_invalid.html", status=404)


@require_safe
@never_cache
def confirm_email_link(request, token: str):
    """The mailed link: its token moves into the session and out of the URL
    (and so out of logs and Referers), as Django's password reset does."""
    if mail.address_for_token(token) is None:
        return _invalid_link(request)
    request.session[mail.SESSION_KEY] = token
    return redirect("accounts:confirm_email")


@require_http_methods(["GET", "POST"])
@never_cache
def confirm_email(request):
    """GET asks (mail scanners open links); POST confirms."""
    token = request.session.get(mail.SESSION_KEY)
    row = mail.address_for_token(token) if token else None
    if row is None:
        return _invalid_link(request)
    if request.method == "GET":
        return render(request, "accounts/confirm_email.html")
    mail.confirm(row)
    request.session.pop(mail.SESSION_KEY, None)
    audit.record("email.confirmed", category=audit.Category.SECURITY, request=request, obj=row)
    return render(request, "accounts/confirm_email_done.html", {"has_account": row.user_id})


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
    messages.success(
        request,
        gettext("The token “%(name)s” is revoked; it no longer works.") % {"name": token.name},
    )
    return redirect("accounts:home")
