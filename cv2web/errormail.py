"""ADMINS hear about bugs, once per kind, and never about refusals.

Django mails ADMINS every ERROR record of the "django" loggers: every 500, but
also every refusal that Django logs at ERROR (a `SuspiciousOperation` such as
an oversized body answered 400, any 503 such as `queue_full`). Anyone could
send a burst of 140 refused uploads and ADMINS would get 140 mails.

- `is_refusal(record)`: an answer we chose to give (any 4xx, a 503 with or
  without `Retry-After`) rather than a bug. Such records are never mailed, and
  `RefusalLevelFilter` (on the console handler) writes them as WARNING.
- `ThrottledAdminEmailHandler` mails the rest, at most one mail per kind of
  error (exception type and where it was raised, or the log call's place) per
  ERROR_MAIL_INTERVAL_MINUTES, counted in the shared cache so that every web
  process and machine shares the window. The next mail of a kind says how
  many were not mailed meanwhile.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from types import TracebackType

from django.conf import settings
from django.core.cache import cache
from django.utils.log import AdminEmailHandler

# 503 is what we answer on purpose when full, draining or not ready.
_DELIBERATE_5XX = frozenset({503})
_CACHE_PREFIX = "cv2web:errormail:"


def is_refusal(record: logging.LogRecord) -> bool:
    """Whether the record is about an answer we gave on purpose (4xx, 503)."""
    status = getattr(record, "status_code", None)
    if not isinstance(status, int):
        return False
    return status < 500 or status in _DELIBERATE_5XX


class RefusalLevelFilter(logging.Filter):
    """Refusals are logged at WARNING even where Django logs them at ERROR
    (django.security.*, django.request for a 503)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING and is_refusal(record):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _project_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    """The innermost frame of the traceback in our own code (not a library)."""
    base = str(settings.BASE_DIR)
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(base) and f"{os.sep}site-packages{os.sep}" not in filename:
            found = (filename.removeprefix(base), tb.tb_lineno)
        tb = tb.tb_next
    return found


def error_kind(record: logging.LogRecord) -> str:
    """What makes two error records "the same error" for mail purposes."""
    if record.exc_info and record.exc_info[0] is not None:
        exc_type, _exc, tb = record.exc_info
        innermost = tb
        while innermost is not None and innermost.tb_next is not None:
            innermost = innermost.tb_next
        where = (innermost.tb_frame.f_code.co_filename, innermost.tb_lineno) if innermost else None
        parts = [f"{exc_type.__module__}.{exc_type.__qualname__}", where, _project_frame(tb)]
    else:
        # Not the formatted message: it carries paths, ids and values.
        parts = [record.name, record.pathname, record.lineno, str(record.msg)]
    parts.append(getattr(record, "status_code", None))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


class _LocalWindows:
    """Per-process fallback when the shared cache does not answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._opened: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def open(self, kind: str, seconds: float) -> tuple[bool, int]:
        now = time.monotonic()
        with self._lock:
            if now - self._opened.get(kind, -seconds - 1) < seconds:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return False, 0
            self._opened[kind] = now
            return True, self._suppressed.pop(kind, 0)


_local = _LocalWindows()


def open_window(kind: str, seconds: float) -> tuple[bool, int]:
    """(mail now?, how many of this kind went unmailed before this one)."""
    key = f"{_CACHE_PREFIX}{kind}"
    try:
        if cache.add(key, 1, timeout=seconds):
            suppressed = cache.get(f"{key}:n") or 0
            cache.delete(f"{key}:n")
            return True, int(suppressed)
        try:
            cache.incr(f"{key}:n")
        except ValueError:  # the first one suppressed in this window
            cache.add(f"{key}:n", 1, timeout=max(seconds * 10, 86400))
        return False, 0
    except Exception:  # noqa: BLE001 - a cache outage must not silence errors
        return _local.open(kind, seconds)


class ThrottledAdminEmailHandler(AdminEmailHandler):
    """AdminEmailHandler that skips refusals and mails each kind of error at
    most once per ERROR_MAIL_INTERVAL_MINUTES."""

    def emit(self, record: logging.LogRecord) -> None:
        if is_refusal(record):
            return
        mail, unmailed = open_window(error_kind(record), settings.ERROR_MAIL_INTERVAL_MINUTES * 60)
        if not mail:
            return
        if unmailed:
            record = logging.makeLogRecord(record.__dict__)
            record.msg = f"{record.msg} (and {unmailed} more like it since the last mail)"
        super().emit(record)
