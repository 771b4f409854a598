"""Structured logs (SPEC M-6): JSON lines, each carrying the request id.

- `RequestIdMiddleware` (first in MIDDLEWARE) takes a sane `X-Request-ID`
  from the request or makes one, keeps it in a context variable for the
  request's duration and returns it on the response.
- `RequestIdFilter` copies it onto every record a handler sees.
- `JsonFormatter` writes one JSON object per line: time (ISO-8601, UTC),
  level, logger, message, request_id (inside a request), exception (when
  any) and every field given through `extra={...}`.
- `PlainFormatter` is the readable form for development (`LOG_FORMAT=text`).
- `AccessJsonFormatter` turns gunicorn's access lines into fields
  (gunicorn.conf.py).
- `RedactFilter` takes secrets out of every record before any handler
  formats it (SPEC S-2, cv2web.redact); settings.LOGGING and gunicorn.conf.py
  put it on every handler, `GunicornLogger` on gunicorn's own loggers.

Nothing here reads Django settings at import: gunicorn's master process
imports this module before Django is set up.
"""

from __future__ import annotations

import atexit
import collections
import contextvars
import copy
import json
import logging
import logging.config
import os
import random
import re
import threading
import time
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger as _GunicornLogger

from .redact import REDACTED, is_secret_name, redact, redact_value

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_META = "HTTP_X_REQUEST_ID"
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


def sane_request_id(value: str | None) -> str | None:
    """`value` when it is safe to echo and to log, else None."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    """32 random hex digits (uuid4().hex's shape, without building a UUID).

    From the process's own generator (`random`, which Python seeds again in
    every forked child), not os.urandom: a request id correlates log lines
    and is no secret, and urandom's system call gave up the interpreter lock
    on every answer, which the web worker's other threads then fought over
    (issue 13: measurable on the cheapest answers)."""
    return f"{random.getrandbits(128):032x}"


class RequestIdFilter(logging.Filter):
    """Put the current request id (or None) on every record as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


def _jsonable(value: Any) -> Any:
    # django.request puts the request object itself on its records.
    if hasattr(value, "method") and hasattr(value, "path") and hasattr(value, "META"):
        return f"{value.method} {redact(value.path)}"
    return value


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields given to the log call through `extra={...}`."""
    return {
        key: _jsonable(value)
        for key, value in record.__dict__.items()
        if key not in _RECORD_ATTRS and not key.startswith("_")
    }


# gunicorn access atoms that hold credentials whole (no pattern would know them).
_SECRET_ATOMS = frozenset(
    f"{{{name}}}{side}"
    for name in ("authorization", "proxy-authorization", "x-manage-token", "cookie", "set-cookie")
    for side in "io"
)
_KEPT_ATOMS = frozenset({"{x-request-id}i", "{x-request-id}o"})


class RedactedAtoms(Mapping):
    """gunicorn's access atoms, each redacted the first time it is read.

    gunicorn hands over an atom for every request and response header; a
    format reads a dozen of them. Redacting on read costs only the atoms a
    format uses (the access line is written on every request), while any
    atom a format names, a header included, still comes out redacted.
    """

    __slots__ = ("_atoms", "_read")

    def __init__(self, atoms: Mapping) -> None:
        self._atoms = atoms
        self._read: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        try:
            return self._read[key]
        except KeyError:
            pass
        value = self._atoms[key]  # gunicorn's SafeAtoms: "-" for a header not sent
        name = key.lower() if key.startswith("{") else key
        if name in _SECRET_ATOMS and value not in (None, "-"):
            value = REDACTED
        elif isinstance(value, str) and name not in _KEPT_ATOMS:
            value = redact(value)
        self._read[key] = value
        return value

    def __iter__(self):
        return iter(self._atoms)

    def __len__(self) -> int:
        return len(self._atoms)


class RedactFilter(logging.Filter):
    """Take secrets out of a record: its message (formatted), its extra fields,
    its exception and stack text, and gunicorn's access atoms.

    The record is changed in place, so every handler after this one sees it
    redacted too; the request object some records carry stays as it is (the
    admin mail's reporter needs it) and is redacted where it is rendered.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._redact(record)
        except Exception:  # never let a line through unredacted, never raise
            record.msg, record.args = "[log record withheld: redaction failed]", None
            record.exc_info = record.exc_text = record.stack_info = None
        return True

    @staticmethod
    def _redact(record: logging.LogRecord) -> None:
        if isinstance(record.args, Mapping):
            # gunicorn's access line: keep the atoms (the formatters read
            # them), each one redacted as it is read.
            if not isinstance(record.args, RedactedAtoms):
                record.args = RedactedAtoms(record.args)
        else:
            try:
                message = record.getMessage()
            except Exception:  # bad arguments: what logging would print, redacted
                message = f"{record.msg} {record.args!r}"
            record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key in extra_fields(record):
            value = record.__dict__[key]
            if isinstance(value, str | dict | list | tuple | set | frozenset):
                record.__dict__[key] = redact_value(value)


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger with `RedactFilter` on its error and access loggers, in
    every log format (its own handlers in plain mode, ours in JSON mode).

    With the JSON access handler of gunicorn.conf.py, the access line is made
    straight from the request's environ and the response (only the atoms the
    line reads, with the values gunicorn's `SafeAtoms` would give) and written
    to that handler's stream: the same line, redacted the same way, without
    gunicorn building an atom for every header and environ key and a log record
    going through the logging machinery, on every request (issue 13: that was
    about as much CPU as serving a static file). Any other access configuration
    goes gunicorn's way.
    """

    _direct_access: logging.StreamHandler | None = None

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactFilter) for f in log.filters):
                log.addFilter(RedactFilter())
        self._direct_access = None
        handlers = self.access_log.handlers
        if (
            self.access_log_enabled
            and len(handlers) == 1
            and type(handlers[0]) is logging.StreamHandler
            and type(handlers[0].formatter) is AccessJsonFormatter
            and all(isinstance(f, RedactFilter) for f in handlers[0].filters)
            and not self.access_log.propagate
            and self.access_log.isEnabledFor(logging.INFO)
        ):
            self._direct_access = handlers[0]

    def access(self, resp, req, environ, request_time) -> None:
        handler = self._direct_access
        if handler is None:
            super().access(resp, req, environ, request_time)
            return
        try:
            line = _direct_access_line(resp, environ, request_time, time.time())
            _lines_for(handler).put(line)
        except Exception:
            self.error(traceback.format_exc())

    def flush_access(self) -> None:
        """Write the access lines waiting for the writer (gunicorn.conf.py's
        worker_exit; tests)."""
        if self._direct_access is not None:
            _lines_for(self._direct_access).drain()


class WrittenLater:
    """Lines for a log handler's stream, written by a thread of their own.

    A request thread only appends its line to a deque (one atomic step, no
    lock). Writing it there took the handler's lock around a write and a
    flush, system calls that give up the interpreter lock while holding the
    handler's: under load the worker's other threads queued on that lock, each
    wait two thread switches, and the queue once formed did not clear (issue
    13: a web worker's throughput fell by half to two thirds a few seconds
    into a load, the machine 40% idle). The writer wakes every 50 ms and
    writes what has gathered in one call; `drain` writes it at once (a
    worker's exit, and at the process's end). A worker killed outright loses
    at most the last 50 ms of lines.
    """

    interval = 0.05

    def __init__(self, handler: logging.StreamHandler) -> None:
        self.handler = handler
        self.lines: collections.deque[str] = collections.deque()
        self.pid = 0  # the process whose writer runs (a forked worker starts its own)
        self.lock = threading.Lock()

    def put(self, line: str) -> None:
        self.lines.append(line)
        if self.pid != os.getpid():
            self._start()

    def _start(self) -> None:
        with self.lock:
            if self.pid == os.getpid():
                return
            self.pid = os.getpid()
            threading.Thread(target=self._run, name="access-log", daemon=True).start()
            atexit.register(self.drain)

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            try:
                self.drain()
            except Exception:  # noqa: BLE001 - the writer must live on
                traceback.print_exc()

    def drain(self) -> None:
        out = []
        pop = self.lines.popleft
        while True:
            try:
                out.append(pop())
            except IndexError:
                break
        if not out:
            return
        handler = self.handler
        end = handler.terminator
        handler.acquire()
        try:
            handler.stream.write("".join(line + end for line in out))
            handler.flush()
        finally:
            handler.release()


_written_later: dict[int, WrittenLater] = {}


def _lines_for(handler: logging.StreamHandler) -> WrittenLater:
    found = _written_later.get(id(handler))
    if found is None or found.handler is not handler:
        found = _written_later[id(handler)] = WrittenLater(handler)
    return found


def _environ_atom(environ: Mapping, name: str) -> Any:
    """An environ atom as gunicorn's `SafeAtoms` gives it ("-" for what is
    missing, double quotes escaped), redacted as `RedactedAtoms` does."""
    value = environ.get(name, "-")
    if value is None:
        return "-"
    if isinstance(value, str):
        return redact(value.replace('"', '\\"'))
    return value


def _direct_access_line(resp, environ: Mapping, request_time, created: float) -> str:
    """The line `AccessJsonFormatter` makes of gunicorn's atoms, read straight
    from the environ and the response: the same values, redacted alike, without
    an atom per header and a mapping lookup per atom (it runs on every request)."""
    status = resp.status
    if isinstance(status, str):
        status = redact(status.split(None, 1)[0].replace('"', '\\"'))
    request_id = "-"
    headers = resp.headers
    for name, value in headers.items() if hasattr(headers, "items") else headers:
        if name.lower() == "x-request-id":
            request_id = value.replace('"', '\\"') if isinstance(value, str) else value
            break
    return AccessJsonFormatter.make_line(
        created,
        "INFO",
        "gunicorn.access",
        status,
        _environ_atom(environ, "REQUEST_METHOD"),
        _environ_atom(environ, "PATH_INFO"),
        _environ_atom(environ, "QUERY_STRING"),
        request_id,
        getattr(resp, "sent", None),
        request_time.seconds * 1000 + int(request_time.microseconds / 1000),
        _environ_atom(environ, "REMOTE_ADDR"),
        _environ_atom(environ, "HTTP_USER_AGENT"),
        _environ_atom(environ, "HTTP_REFERER"),
    )


class RedactingExceptionReporter:
    """Django's ExceptionReporter (DEFAULT_EXCEPTION_REPORTER) whose report is
    redacted when it is mailed to ADMINS: the request's URL, its Referer and
    the views' local variables hold the secrets the log lines lose.

    The DEBUG error page stays whole: it goes to the browser that made the
    request. Wraps instead of subclassing so that this module does not import
    Django (gunicorn's master loads it).
    """

    def __init__(self, request, exc_type, exc_value, tb, is_email: bool = False) -> None:
        from django.views.debug import ExceptionReporter  # not at the top: see the docstring

        self._reporter = ExceptionReporter(request, exc_type, exc_value, tb, is_email=is_email)
        self._redact = redact if is_email else (lambda text: text)
        if is_email:
            # A view's `token` argument is a bare value no pattern recognises:
            # the report leaves out every local variable with a secret's name.
            # (A copy: Django shares one filter between reports.)
            self._reporter.filter = reporter_filter = copy.copy(self._reporter.filter)
            frame_variables = reporter_filter.get_traceback_frame_variables

            def without_secrets(request, tb_frame):
                return [
                    (name, reporter_filter.cleansed_substitute if is_secret_name(name) else value)
                    for name, value in frame_variables(request, tb_frame)
                ]

            reporter_filter.get_traceback_frame_variables = without_secrets

    def get_traceback_text(self) -> str:
        return self._redact(self._reporter.get_traceback_text())

    def get_traceback_html(self) -> str:
        return self._redact(self._reporter.get_traceback_html())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reporter, name)


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


# json.dumps(value, default=str, ensure_ascii=False), without making an encoder
# on every call (json.dumps does when given options).
_ACCESS_JSON = json.JSONEncoder(default=str, ensure_ascii=False).encode


class AccessJsonFormatter(JsonFormatter):
    """gunicorn's access records (their args are the access-log atoms) as fields."""

    def format(self, record: logging.LogRecord) -> str:
        atoms = record.args if isinstance(record.args, Mapping) else None
        if atoms is None or record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        # Redacted here too: this formatter must not depend on a filter
        # having run first (atoms the filter wrapped come out redacted).
        clean = atoms if isinstance(atoms, RedactedAtoms) else RedactedAtoms(atoms)
        return self.line(clean, record.created, record.levelname, record.name)

    @staticmethod
    def line(
        atoms: Mapping,
        created: float,
        level: str = "INFO",
        logger: str = "gunicorn.access",
    ) -> str:
        """The JSON line of an access record with these (redacted) atoms."""
        get = atoms.__getitem__  # gunicorn's atoms and ours say "-" for what is missing
        return AccessJsonFormatter.make_line(
            created,
            level,
            logger,
            get("s"),
            get("m"),
            get("U"),
            get("q"),
            get("{x-request-id}o"),
            get("B"),
            get("M"),
            get("h"),
            get("a"),
            get("f"),
        )

    @staticmethod
    def make_line(
        created: float,
        level: str,
        logger: str,
        status: Any,
        method: Any,
        path: Any,
        query: Any,
        answered_request_id: Any,
        sent: Any,
        duration_ms: Any,
        remote_addr: Any,
        user_agent: Any,
        referer: Any,
    ) -> str:
        """The JSON line of an access record from its (redacted) atom values."""
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
            "level": level,
            "logger": logger,
            "message": f"{method} {path} {status}",
        }
        # gunicorn's atoms say "-" for a header the answer did not carry.
        request_id = sane_request_id(answered_request_id)
        if request_id and request_id != "-":
            out["request_id"] = request_id
        else:
            request_id = request_id_var.get()
            if request_id:
                out["request_id"] = request_id
        out["method"] = method
        out["path"] = path or ""
        out["query"] = query or ""
        out["status"] = int(status) if str(status).isdigit() else status
        out["bytes"] = sent
        out["duration_ms"] = duration_ms
        out["remote_addr"] = remote_addr
        out["user_agent"] = user_agent
        out["referer"] = referer or ""
        try:
            return _ACCESS_JSON(out)
        except ValueError:
            return json.dumps({k: str(v) for k, v in out.items()}, ensure_ascii=False)


class RequestIdMiddleware:
    """Give every request an id, for its log lines and its response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # META, not request.headers: that would build a mapping of every header.
        request_id = sane_request_id(request.META.get(_REQUEST_ID_META)) or new_request_id()
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
            if response.status_code >= 400 and not getattr(response, "_has_been_logged", False):
                # Django logs such answers only after the whole middleware
                # chain has returned, when the id is gone; log them here.
                # Django imported when used: gunicorn's master loads this module.
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
    logging.config.dictConfig(logging_settings)
    logging.captureWarnings(True)
