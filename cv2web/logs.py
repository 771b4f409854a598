"""Structured logs (SPEC M-6): JSON lines, each carrying the request id.

- `RequestIdMiddleware` (first in MIDDLEWARE) takes a sane `X-Request-ID`
  from the request or makes one, keeps it in a context variable for the
  request's duration and returns it on the response.
- `RequestIdFilter` copies it onto every record a handler sees.
- `JsonFormatter` writes one JSON object per line: time (ISO-8601, UTC),
  level, logger, message, request_id (inside a request), exception (when
  any) and every field given through `extra={...}`.
- `PlainFormatter` is the readable form for development (`LOG_FORMAT=plain`).
- `AccessJsonFormatter` turns gunicorn's access lines into fields
  (gunicorn.conf.py).

Nothing here reads Django settings at import: gunicorn's master process
imports this module before Django is set up.
"""

from __future__ import annotations

import contextvars
import copy
import json
import logging
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# Attributes every LogRecord has; anything else on a record came from `extra`.
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
}
_CORE_FIELDS = ("time", "level", "logger", "message", "request_id", "exception", "stack")


def get_request_id() -> str | None:
    """The id of the request being handled by this thread/task, if any."""
    return request_id_var.get()


def sane_request_id(value: str | None) -> str | None:
    """`value` when it is safe to echo and to log, else None."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Put the current request id (or None) on every record as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


def _jsonable(value: Any) -> Any:
    # django.request puts the request object itself on its records.
    if hasattr(value, "method") and hasattr(value, "path") and hasattr(value, "META"):
        return f"{value.method} {value.path}"
    return value


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields given to the log call through `extra={...}`."""
    return {
        key: _jsonable(value)
        for key, value in record.__dict__.items()
        if key not in _RECORD_ATTRS and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = self.fields(record)
        try:
            return json.dumps(fields, default=str, ensure_ascii=False)
        except ValueError:  # a circular structure given as an extra field
            return json.dumps({k: str(v) for k, v in fields.items()}, ensure_ascii=False)

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # The formatter also reads the context variable itself, so that a
        # handler configured without the filter still gets the id.
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            out["request_id"] = request_id
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exception"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        for key, value in extra_fields(record).items():
            # A field named like a core one keeps its value under another name.
            out[f"{key}_" if key in _CORE_FIELDS else key] = value
        return out


class PlainFormatter(logging.Formatter):
    """Readable lines for development: time level logger [request id] message k=v."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        head, sep, tail = line.partition("\n")
        if request_id:
            head = head.replace(f" {record.name} ", f" {record.name} [{request_id}] ", 1)
        extras = " ".join(f"{k}={_jsonable(v)}" for k, v in extra_fields(record).items())
        if extras:
            head = f"{head} {extras}"
        return head + sep + tail


class AccessJsonFormatter(JsonFormatter):
    """gunicorn's access records (their args are the access-log atoms) as fields."""

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        atoms = record.args if isinstance(record.args, Mapping) else None
        if atoms is None:
            return super().fields(record)
        get = dict(atoms).get
        # A copy: the record may go on to other handlers.
        record = copy.copy(record)
        record.msg, record.args = f"{get('m')} {get('U')} {get('s')}", None
        out = super().fields(record)
        request_id = sane_request_id(get("{x-request-id}o"))
        if request_id:
            out["request_id"] = request_id
        out.update(
            {
                "method": get("m"),
                "path": get("U"),
                "query": get("q") or "",
                "status": int(get("s")) if str(get("s", "")).isdigit() else get("s"),
                "bytes": get("B"),
                "duration_ms": get("M"),
                "remote_addr": get("h"),
                "user_agent": get("a"),
                "referer": get("f"),
            }
        )
        return out


class RequestIdMiddleware:
    """Give every request an id, for its log lines and its response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
            if response.status_code >= 400 and not getattr(response, "_has_been_logged", False):
                # Django logs such answers only after the whole middleware
                # chain has returned, when the id is gone; log them here.
                from django.utils.log import log_response

                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    request.path,
                    response=response,
                    request=request,
                )
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            request_id_var.reset(token)


def configure(logging_settings: dict) -> None:
    """LOGGING_CONFIG: Django's dictConfig, plus Python warnings as log lines
    (otherwise they reach stderr raw, breaking the one-JSON-object-a-line rule)."""
    import logging.config

    logging.config.dictConfig(logging_settings)
    logging.captureWarnings(True)
