"""Burst limits (SPEC Q-2) with django-ratelimit through the shared cache.

django-ratelimit lets a cache error through (a 500 when Redis is down, even
with RATELIMIT_FAIL_OPEN), so every check goes through `check()`, which fails
open: the request is served, a warning logged and a counter increased.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from .policy import subject_of

log = logging.getLogger("cv2web.quotas")

_errors_lock = threading.Lock()
_cache_errors = 0


def cache_errors() -> int:
    """How many limit checks this process let through because the cache failed."""
    return _cache_errors


def _count_error() -> None:
    global _cache_errors
    with _errors_lock:
        _cache_errors += 1


@dataclass(frozen=True)
class Decision:
    limited: bool
    retry_after: int = 0


def _key(group, request) -> str:
    return subject_of(request)


def check(request, group: str, rate: str) -> Decision:
    """Count this request against `rate` for its client; never raises."""
    if not settings.RATELIMIT_ENABLE:
        return Decision(False)
    try:
        usage = get_usage(request, group=group, key=_key, rate=rate, increment=True)
    except Exception:  # noqa: BLE001 - any cache failure: serve the request
        _count_error()
        log.warning(
            "rate limit check for %s failed open: the cache is unreachable", group, exc_info=True
        )
        return Decision(False)
    if usage is None:
        return Decision(False)
    if usage["limit"] == 0 and usage["time_left"] == -1:
        # django-ratelimit's answer when the cache would not count.
        _count_error()
        log.warning("rate limit check for %s failed open: the cache did not count", group)
        return Decision(False)
    if usage["should_limit"]:
        return Decision(True, max(1, usage["time_left"]))
    return Decision(False)


def check_all(request, limits: list[tuple[str, str]]) -> Decision:
    """Every (group, rate) counts; the longest wait wins."""
    refused = [d for d in (check(request, group, rate) for group, rate in limits) if d.limited]
    if not refused:
        return Decision(False)
    return Decision(True, max(d.retry_after for d in refused))


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
    """Every API call: RATELIMIT_API_HOUR and RATELIMIT_API_DAY per client."""

    def limits(self, request, view):
        return [("api-hour", settings.RATELIMIT_API_HOUR), ("api-day", settings.RATELIMIT_API_DAY)]


class BatchThrottle(_Throttle):
    def limits(self, request, view):
        return [("api-batch", settings.RATELIMIT_BATCH)]


class UploadThrottle(_Throttle):
    def limits(self, request, view):
        return [("uploads", settings.RATELIMIT_UPLOADS)]


def limit_posts(group: str, rate_setting: str, what: str):
    """Page-view decorator: POSTs over settings.<rate_setting> get a 429 page."""
    from functools import wraps

    from django.shortcuts import render

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                decision = check(request, group, getattr(settings, rate_setting))
                if decision.limited:
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
