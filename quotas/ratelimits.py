"""Burst limits (SPEC Q-2, S-5) with django-ratelimit through the shared cache.

django-ratelimit lets a cache error through (a 500 when Redis is down, even
with RATELIMIT_FAIL_OPEN), so every check goes through `check()`, which never
raises. When the cache fails:

- most limits fail open: the request is served, a warning logged and a
  counter increased (uploads and API calls must not stop with the cache);
- log-in, sign-up and password-reset limits (`fail_closed=True`) count in the
  database instead (`BurstCounter`), and refuse if that fails too: guessing
  passwords must not become unlimited exactly when something else is wrong.
  A database count rather than refusing everyone: staff must still be able to
  log in to the admin during a cache outage.

A circuit breaker per cache keeps a hung cache (one that accepts connections
and never answers) from costing a timeout per check: after one failure the
cache is skipped for RATELIMIT_BREAKER_S, then one request probes it again.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_ratelimit import core as ratelimit_core
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from cv2web import instruments
from monitoring import audit

from .models import BurstCounter
from .policy import parse_rate, rates_for, subject_of

log = logging.getLogger("cv2web.quotas")

# Monotonic time; tests move it instead of sleeping.
_clock = time.monotonic

_errors_lock = threading.Lock()
_cache_errors = 0


def cache_errors() -> int:
    """How many limit checks this process let through because the cache failed."""
    return _cache_errors


def _count_error() -> None:
    global _cache_errors
    with _errors_lock:
        _cache_errors += 1


class Breaker:
    """Whether the rate-limit cache may be asked, per process and cache location.

    Closed: every check asks the cache. After a failure, open: nobody asks for
    RATELIMIT_BREAKER_S. Then one request at a time probes; a success closes
    it, a failure opens it again.
    """

    def __init__(self, location: str) -> None:
        self.location = location
        self.attempts = 0  # checks that asked the cache
        self.failures = 0
        self._tripped = False
        self._open_until = 0.0
        self._probe_until = 0.0
        self._lock = threading.Lock()

    def allow(self) -> bool:
        if not self._tripped:
            # Closed, the usual state: no lock (every request asks; the lock
            # queued a web worker's threads behind each other, issue 13).
            # A failure racing this lets one more request ask the cache.
            self.attempts += 1
            return True
        with self._lock:
            now = _clock()
            if now < self._open_until:
                return False
            if self._tripped:
                if now < self._probe_until:
                    return False  # another request is probing
                # One probe; should it never come back, another after a pause.
                self._probe_until = now + settings.RATELIMIT_BREAKER_S
            self.attempts += 1
            return True

    def succeeded(self) -> None:
        if not self._tripped:
            return
        with self._lock:
            was_tripped, self._tripped = self._tripped, False
            self._open_until = self._probe_until = 0.0
        if was_tripped:
            log.warning("rate limits: the cache at %s answers again", self.location)

    def failed(self, error: str) -> None:
        with self._lock:
            self.failures += 1
            self._tripped = True
            self._open_until = _clock() + settings.RATELIMIT_BREAKER_S
            self._probe_until = 0.0
        # Once per trip, not once per request: an outage must not flood the log.
        log.warning(
            "rate limit check failed open: the cache at %s did not answer (%s); "
            "skipping it for %s s (log-in limits count in the database meanwhile)",
            self.location,
            error,
            settings.RATELIMIT_BREAKER_S,
        )


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def _cache_alias() -> str:
    return settings.RATELIMIT_USE_CACHE


def breaker_for(alias: str | None = None) -> Breaker:
    """The breaker of the cache behind `alias` (the rate-limit cache by default)."""
    config = settings.CACHES.get(alias or _cache_alias(), {})
    location = str(config.get("LOCATION", "")) or str(config.get("BACKEND", ""))
    with _breakers_lock:
        breaker = _breakers.get(location)
        if breaker is None:
            breaker = _breakers[location] = Breaker(location)
        return breaker


def reset_breakers() -> None:
    """Forget every breaker's state (tests; a process starts with none)."""
    with _breakers_lock:
        _breakers.clear()


@dataclass(frozen=True)
class Decision:
    limited: bool
    retry_after: int = 0
    # The first refusal of its window: the one worth an audit row.
    first_refusal: bool = False


def _key(group, request) -> str:
    return subject_of(request)


def _ask_cache(request, group: str, rate: str, subject: str | None = None) -> dict | None:
    """django-ratelimit's usage, or None when the cache did not count."""
    key = _key if subject is None else (lambda group, request: subject)
    count_hit = getattr(caches[_cache_alias()], "count_hit", None)
    try:
        if count_hit is not None:
            usage = _usage_in_one_trip(
                lambda cache_key, ttl, limit: count_hit(cache_key, ttl),
                group,
                rate,
                key(group, request),
            )
        else:
            usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    except Exception as exc:  # noqa: BLE001 - any cache failure: decided by the caller
        return {"error": f"{type(exc).__name__}: {exc}"}
    if usage is None or (usage["limit"] == 0 and usage["time_left"] == -1):
        # django-ratelimit's answers when the cache would not count.
        return {"error": "the cache did not count"}
    return usage


def _usage_in_one_trip(count, group: str, rate: str, value: str) -> dict:
    """What django-ratelimit's `get_usage(..., increment=True)` answers, counted
    by `count(cache_key, ttl, limit)`, a cache's one-step count (cv2web.cache:
    count_hit and its kin): the same key, window and time to live, made by
    django-ratelimit's own functions (its version is pinned), so that both
    count the same counter."""
    limit, period = ratelimit_core._split_rate(rate)
    window = ratelimit_core._get_window(value, period)
    cache_key = ratelimit_core._make_cache_key(group, window, rate, value, ratelimit_core.ALL)
    count = count(cache_key, period + ratelimit_core.EXPIRATION_FUDGE, limit)
    return {
        "count": count,
        "limit": limit,
        "should_limit": count > limit,
        "time_left": window - int(ratelimit_core.time.time()),
    }


def _count_in_database(request, group: str, rate: str, subject: str | None = None) -> Decision:
    limit, period = parse_rate(rate)
    now = timezone.now()
    stamp = now.timestamp()
    start = stamp - stamp % period
    try:
        hits = _hit_database(group, subject or subject_of(request), start, now, period)
    except DatabaseError:
        log.exception("rate limit %s: neither the cache nor the database counted; refused", group)
        return Decision(True, period)
    if hits > limit:
        wait = max(1, math.ceil(start + period - stamp))
        return Decision(True, wait, first_refusal=hits == limit + 1)
    return Decision(False)


def _hit_database(group: str, subject: str, start: float, now: dt.datetime, period: int) -> int:
    return BurstCounter.objects.hit(
        group,
        subject[:80],
        dt.datetime.fromtimestamp(start, tz=dt.UTC),
        keep_after=now - dt.timedelta(seconds=period) - dt.timedelta(days=1),
    )


def check(
    request, group: str, rate: str, *, fail_closed: bool = False, subject: str | None = None
) -> Decision:
    """Count this request against `rate` for its client (or for `subject`, a
    key of the caller's choosing such as one portfolio); never raises.

    When the cache fails, a `fail_closed` limit counts in the database; any
    other limit lets the request through.
    """
    decision = _check(request, group, rate, fail_closed=fail_closed, subject=subject)
    if decision.limited:
        instruments.ratelimit_refused(group)
    return decision


def _decision_of(usage: dict) -> Decision:
    if usage["should_limit"]:
        return Decision(
            True,
            max(1, usage["time_left"]),
            first_refusal=usage["count"] == usage["limit"] + 1,
        )
    return Decision(False)


def _check(request, group: str, rate: str, *, fail_closed: bool, subject: str | None) -> Decision:
    if not settings.RATELIMIT_ENABLE:
        return Decision(False)
    breaker = breaker_for()
    if breaker.allow():
        usage = _ask_cache(request, group, rate, subject)
        if usage is not None and "error" not in usage:
            breaker.succeeded()
            return _decision_of(usage)
        breaker.failed(usage["error"] if usage else "no answer")
    if fail_closed:
        return _count_in_database(request, group, rate, subject)
    _count_error()
    return Decision(False)


def check_all(request, limits: list[tuple[str, str]]) -> Decision:
    """Every (group, rate) counts; the longest wait wins."""
    refused = [d for d in (check(request, group, rate) for group, rate in limits) if d.limited]
    if not refused:
        return Decision(False)
    return Decision(True, max(d.retry_after for d in refused))


_STORE = ("BACKEND", "LOCATION", "KEY_PREFIX", "VERSION", "KEY_FUNCTION")


# (the CACHES setting judged, the answer), replaced whole.
_one_store_seen: tuple = (None, False)


def _one_store() -> bool:
    """Whether the rate-limit cache is the default cache's store, keys alike
    (judged once per CACHES setting)."""
    global _one_store_seen
    caches_setting = settings.CACHES
    seen = _one_store_seen
    if seen[0] is caches_setting:
        return seen[1]
    mine, default = caches_setting.get(_cache_alias(), {}), caches_setting.get("default", {})
    answer = all(mine.get(k) == default.get(k) for k in _STORE)
    _one_store_seen = (caches_setting, answer)
    return answer


def check_and_read(request, limits: list[tuple[str, str]], keys: list[str]):
    """`check_all(request, limits)` and the default cache's values at `keys`
    (None when the cache did not answer): the cheap reads' count and reads.
    With one limit and a Redis cache (the rate-limit cache being the default
    cache's server with a shorter timeout, making the same keys), the count
    is kept by the process and sent in batches, and the values are those
    read at most CHEAP_READ_NEAR_S ago (cv2web.cache.RedisCache.
    count_hit_batched, get_many_near): most reads cost no round trip; with
    CHEAP_READ_NEAR_S 0, both in one round trip (count_hit_and_get).
    Otherwise a check, then a read."""
    from django.core.cache import cache

    both = getattr(caches[_cache_alias()], "count_hit_and_get", None)
    if both is None or len(limits) != 1 or not settings.RATELIMIT_ENABLE or not _one_store():
        decision = check_all(request, limits)
        try:
            return decision, cache.get_many(keys)
        except Exception:  # noqa: BLE001 - the cache down: the caller reads nothing
            return decision, None
    (group, rate) = limits[0]
    near = settings.CHEAP_READ_NEAR_S
    rl = caches[_cache_alias()]
    read: list = [None]

    def count(cache_key: str, ttl: int, limit: int) -> int:
        if near > 0:
            # Counted here and sent in batches, values read at most `near`
            # seconds ago: most reads cost no round trip at all.
            hits = rl.count_hit_batched(cache_key, ttl, limit, near)
            read[0] = rl.get_many_near(keys, near)
            return hits
        hits, read[0] = both(cache_key, ttl, keys)
        return hits

    breaker = breaker_for()
    if breaker.allow():
        try:
            usage = _usage_in_one_trip(count, group, rate, subject_of(request))
        except Exception as exc:  # noqa: BLE001 - as _check: fail open, logged, counted
            breaker.failed(f"{type(exc).__name__}: {exc}")
        else:
            breaker.succeeded()
            decision = _decision_of(usage)
            if decision.limited:
                instruments.ratelimit_refused(group)
                # As check_all gives it: the wait, not the first refusal.
                decision = Decision(True, decision.retry_after)
            return decision, read[0]
    _count_error()
    return Decision(False), None


class _Throttle(BaseThrottle):
    """DRF throttle over `check_all`, answered as 429 `rate_limited`."""

    def limits(self, request, view) -> list[tuple[str, str]]:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        decision = check_all(request, self.limits(request, view))
        self._wait = decision.retry_after
        return not decision.limited

    def wait(self):
        return self._wait


class ApiThrottle(_Throttle):
    """Every API call: the caller's hourly and daily rates (policy.rates_for)."""

    def limits(self, request, view):
        rates = rates_for(getattr(request, "user", None))
        return [("api-hour", rates.api_hour), ("api-day", rates.api_day)]


# Where an answerer before Django (cv2web.fastpath) that counted a cheap read
# leaves its decision in the environ, for Django to reuse if it answers after
# all: a read is counted once.
CHEAP_READ_DECISION = "cv2web.cheap_read_decision"


class CheapReadThrottle(_Throttle):
    """Cheap public reads (the service status, a job polled by its owner): a
    generous limit of their own, RATELIMIT_CHEAP_READS, instead of the API's
    hourly and daily budget, which a client polling every two seconds would
    spend in minutes."""

    @staticmethod
    def limits_of() -> list[tuple[str, str]]:
        return [("cheap-reads", settings.RATELIMIT_CHEAP_READS)]

    def limits(self, request, view):
        return self.limits_of()

    def allow_request(self, request, view) -> bool:
        # Counted already by a quick path that then handed the request to DRF
        # (extraction.api.ExtractionDetail): the same decision, not a second count.
        decision = getattr(request, "cheap_read_decision", None)
        if decision is None:
            return super().allow_request(request, view)
        self._wait = decision.retry_after
        return not decision.limited


class BatchThrottle(_Throttle):
    def limits(self, request, view):
        return [("api-batch", rates_for(getattr(request, "user", None)).batch)]


class UploadThrottle(_Throttle):
    def limits(self, request, view):
        return [("uploads", rates_for(getattr(request, "user", None)).uploads)]


def limit_posts(group: str, rate_setting: str, what: str, *, fail_closed: bool = False):
    """Page-view decorator: POSTs over settings.<rate_setting> get a 429 page.

    The first refusal of each window is a security audit row (one per window,
    so a flood of refused requests cannot flood the table).
    """

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                rate = getattr(settings, rate_setting)
                decision = check(request, group, rate, fail_closed=fail_closed)
                if decision.limited:
                    if decision.first_refusal:
                        audit.record(
                            "ratelimit.refused",
                            category=audit.Category.SECURITY,
                            request=request,
                            details={"group": group, "rate": rate, "path": request.path[:200]},
                        )
                    response = render(
                        request,
                        "quotas/rate_limited.html",
                        {"retry_after": decision.retry_after, "what": what},
                        status=429,
                    )
                    response["Retry-After"] = str(decision.retry_after)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def limit_logins(view):
    """Every log-in form (the account's and the admin's) shares one budget per client."""
    return limit_posts("login", "RATELIMIT_LOGIN", _("log-in attempts"), fail_closed=True)(view)
