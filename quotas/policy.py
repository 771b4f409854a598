"""The tier of a request and what it may do (SPEC Q-1, E-5 priorities)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext_lazy

from cv2web.errors import Refusal

from .models import Account, DailyUsage, Tier, usage_cache_key

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest
    from rest_framework.request import Request

    # Who asks: a page's request or an API view's (DRF wraps Django's).
    Caller = HttpRequest | Request
    User = AbstractBaseUser | AnonymousUser | None

log = logging.getLogger("cv2web.quotas")


@dataclass(frozen=True)
class Limits:
    extractions_per_day: int
    active_portfolios: int
    retention_hours: int


def tier_limits(tier: str) -> Limits:
    return Limits(**settings.QUOTA_TIERS[tier])


def counts_as_anonymous(user: User) -> bool:
    """No user, or an account whose address has not confirmed yet (SPEC S-5):
    a sign-up costs nothing, so it buys nothing until the address answers."""
    if user is None or not user.is_authenticated:
        return True
    return not Account.for_user(user).confirmed


def tier_of(user: User) -> str:
    if counts_as_anonymous(user):
        return Tier.ANONYMOUS
    return Account.for_user(user).tier


def limits_for(user: User) -> Limits:
    """The tier's limits, with a staff override for this user where set."""
    base = tier_limits(tier_of(user))
    if counts_as_anonymous(user):
        return base
    account = Account.for_user(user)
    return Limits(
        extractions_per_day=_pick(account.extractions_per_day, base.extractions_per_day),
        active_portfolios=_pick(account.active_portfolios, base.active_portfolios),
        retention_hours=(
            account.retention_days * 24
            if account.retention_days is not None
            else base.retention_hours
        ),
    )


@dataclass(frozen=True)
class Rates:
    """A caller's burst limits (SPEC Q-2), as django-ratelimit rates ("100/h")."""

    api_hour: str
    api_day: str
    batch: str
    uploads: str


_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PERIOD_WORDS = {
    1: gettext_noop("%(count)s a second"),
    60: gettext_noop("%(count)s a minute"),
    3600: gettext_noop("%(count)s an hour"),
    86400: gettext_noop("%(count)s a day"),
}
# Longer periods, in their largest whole unit ("5 every 15 minutes"); a period
# of one unit is said by _PERIOD_WORDS.
_PERIOD_UNITS = (
    (86400, ngettext_lazy("%(count)s every %(n)d day", "%(count)s every %(n)d days", "n")),
    (3600, ngettext_lazy("%(count)s every %(n)d hour", "%(count)s every %(n)d hours", "n")),
    (60, ngettext_lazy("%(count)s every %(n)d minute", "%(count)s every %(n)d minutes", "n")),
    (1, ngettext_lazy("%(count)s every %(n)d second", "%(count)s every %(n)d seconds", "n")),
)


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/m' -> (10, 60); '5/15m' -> (5, 900), as django-ratelimit reads it."""
    match = _RATE.match(rate.strip())
    if match is None:
        raise ValueError(f"not a rate: {rate!r}")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _PERIODS[unit]


def rate_words(rate: str) -> str:
    """'100/h' -> '100 an hour'; '5/15m' -> '5 every 15 minutes' (pages, messages)."""
    count, period = parse_rate(rate)
    number = f"{count:,}"
    if period in _PERIOD_WORDS:
        return gettext(_PERIOD_WORDS[period]) % {"count": number}
    for seconds, words in _PERIOD_UNITS:
        if period % seconds == 0:
            return words % {"count": number, "n": period // seconds}
    raise AssertionError("a period is a whole number of seconds")


def rates_for(user: User) -> Rates:
    """The bulk plan has its own rates (RATELIMIT_BULK_*); every other tier the
    RATELIMIT_* ones."""
    if tier_of(user) == Tier.BULK:
        return Rates(
            api_hour=settings.RATELIMIT_BULK_API_HOUR,
            api_day=settings.RATELIMIT_BULK_API_DAY,
            batch=settings.RATELIMIT_BULK_BATCH,
            uploads=settings.RATELIMIT_BULK_UPLOADS,
        )
    return Rates(
        api_hour=settings.RATELIMIT_API_HOUR,
        api_day=settings.RATELIMIT_API_DAY,
        batch=settings.RATELIMIT_BATCH,
        uploads=settings.RATELIMIT_UPLOADS,
    )


def _pick(override: int | None, default: int) -> int:
    return default if override is None else override


def subject_of(request: Caller) -> str:
    """What a daily quota and burst limits count under: the user, or the
    client's address bucket (also for unconfirmed accounts, so that ten
    sign-ups from one address share one allowance)."""
    user = getattr(request, "user", None)
    if user is not None and not counts_as_anonymous(user):
        return f"user:{user.pk}"
    return f"ip:{getattr(request, 'client_bucket', '') or 'unknown'}"


def today(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(dt.UTC).date()


def reset_at(now: dt.datetime | None = None) -> dt.datetime:
    """Daily allowances start again at midnight UTC."""
    day = today(now)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


@dataclass(frozen=True)
class Usage:
    tier: str
    limit: int
    used: int
    reset_at: dt.datetime

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def seconds_to_reset(self, now: dt.datetime | None = None) -> int:
        return max(1, int((self.reset_at - (now or timezone.now())).total_seconds()) + 1)

    def headers(self) -> dict[str, str]:
        return {
            "X-Quota-Limit": str(self.limit),
            "X-Quota-Remaining": str(self.remaining),
            "X-Quota-Reset": str(int(self.reset_at.timestamp())),
        }


def usage_of(
    request: Caller, now: dt.datetime | None = None, known: Mapping[str, Any] | None = None
) -> Usage:
    """Today's extraction allowance of the caller. `known`: cache entries the
    caller read with `usage_key_of(request)` among them (one round trip)."""
    user = getattr(request, "user", None)
    return Usage(
        tier=tier_of(user),
        limit=limits_for(user).extractions_per_day,
        used=DailyUsage.objects.used_cached(subject_of(request), today(now), known),
        reset_at=reset_at(now),
    )


def usage_key_of(request: Caller, now: dt.datetime | None = None) -> str:
    """The cache key under which `usage_of(request)` finds today's count."""
    return usage_cache_key(subject_of(request), today(now))


class QuotaExceeded(Refusal):
    """The caller has used today's extractions."""

    code = "quota_exceeded"
    status = 429

    def __init__(self, usage: Usage) -> None:
        super().__init__("Daily extraction quota reached.")
        self.usage = usage
        self.message = (
            f"You have used your {usage.limit} extractions for today. The allowance resets "
            f"at {usage.reset_at:%H:%M} UTC."
        )

    def answer_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.usage.seconds_to_reset()), **self.usage.headers()}

    def answer_extra(self) -> dict[str, Any]:
        return {"limit": self.usage.limit, "reset_at": self.usage.reset_at.isoformat()}


def give_back(subject: str, day: dt.date) -> None:
    """Return one extraction of `subject`'s allowance of `day` (the system, not
    the file, kept it from finishing)."""
    DailyUsage.objects.give_back(subject, day)


def admission_for(request: Caller) -> Callable[[], tuple[str, dt.date]]:
    """A callable for the extraction intake: it counts one new extraction
    against the caller's daily quota, or raises QuotaExceeded. It is called
    only for work that will run (not for cache hits or joined jobs) and
    returns the (subject, day) to give back if the system fails the job."""

    def admit() -> tuple[str, dt.date]:
        subject, now = subject_of(request), timezone.now()
        user = getattr(request, "user", None)
        limit = limits_for(user).extractions_per_day
        used = DailyUsage.objects.consume(subject, today(now), limit)
        if used is None:
            raise QuotaExceeded(usage_of(request))
        # What the answer's X-Quota-* headers report, without another query.
        # On Django's request, which DRF's wraps: the middleware reads it there.
        django_request: Any = getattr(request, "_request", request)  # carries our attribute
        django_request.quota_usage = Usage(tier_of(user), limit, used, reset_at(now))
        return subject, today(now)

    return admit


# Who is a returning visitor (SPEC E-5: an earlier successful extraction, or
# a portfolio) is known by the apps above quotas, which read their own tables:
# each registers its check at start-up (AppConfig.ready). Quotas imports none
# of them.
ReturningCheck = Callable[[Any, str], bool]
_returning_checks: list[ReturningCheck] = []


def register_returning_check(check: ReturningCheck) -> None:
    """`check(user, client_bucket)` says whether this visitor came before."""
    if check not in _returning_checks:
        _returning_checks.append(check)


def is_returning(request: Caller) -> bool:
    """Has the caller come before (any registered app knows them)?"""
    user = getattr(request, "user", None)
    client = getattr(request, "client_bucket", "")
    return any(check(user, client) for check in _returning_checks)


def is_premium(request: Caller) -> bool:
    return tier_of(getattr(request, "user", None)) == Tier.PREMIUM


def is_registered(request: Caller) -> bool:
    """A confirmed account, whatever its tier (an unconfirmed one counts as anonymous)."""
    return not counts_as_anonymous(getattr(request, "user", None))
