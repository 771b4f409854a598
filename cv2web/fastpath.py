"""Answers given before Django builds a request: files whose bytes and headers
are already known (static files, published sites this process has served), and
answers that are the same for every plain request (/healthz).

Django's handler costs a request object, the request_started and
request_finished signals (each walks every database connection and cache),
and the middleware chain; for a file already in hand that was most of the
work (issue 13: a static file through the project cost about two and a half
times the same file through a bare whitenoise project). `FastPath` wraps the
WSGI application and asks each answerer of settings.WSGI_FAST_PATHS, in
order, whether it can answer from the environ alone. An answerer returns an
`Answer` or None ("not mine, or not sure": Django answers as before).

What the middleware chain would have added is added here the same way: the
security headers of SecurityMiddleware (computed by that middleware itself,
once per scheme), and the request's count and time in /metrics. Whatever
needs more stays with Django: a request to be redirected to HTTPS, other
methods than GET and HEAD, an answer that would be an error, and whatever an
answerer declines (a gated site, a visit to record in the database).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from time import perf_counter
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.http.request import split_domain_port, validate_host
from django.middleware.security import SecurityMiddleware
from django.utils.http import http_date
from django.utils.module_loading import import_string

from cv2web import instruments
from cv2web.logs import REQUEST_ID_HEADER, new_request_id, sane_request_id

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Answer:
    """What an answerer found: the WSGI status line, headers and body."""

    route: str  # the /metrics route label, as MetricsMiddleware would give it
    status: int
    status_line: str
    headers: list[tuple[str, str]]
    body: Iterable[bytes] = ()
    file: Any = None  # an open file to send with wsgi.file_wrapper instead of `body`


Answerer = Callable[[dict], "Answer | None"]


class _Secure:
    """The one thing SecurityMiddleware.process_response asks of a request."""

    def __init__(self, secure: bool) -> None:
        self.secure = secure

    def is_secure(self) -> bool:
        return self.secure


def security_headers(secure: bool) -> list[tuple[str, str]]:
    """The headers SecurityMiddleware adds to an answer that has none of them,
    for a secure or a plain request: asked of the middleware itself, so that
    they follow its settings (HSTS, nosniff, Referrer-Policy, COOP)."""
    response = HttpResponse()
    before = set(response.headers)
    SecurityMiddleware(lambda request: response).process_response(_Secure(secure), response)
    return [(k, v) for k, v in response.headers.items() if k not in before]


def is_secure(environ: dict) -> bool:
    """HttpRequest.is_secure() read from the environ."""
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        header, secure_value = proxy
        value = environ.get(header)
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return environ.get("wsgi.url_scheme") == "https"


class FastPath:
    """WSGI wrapper: the answerers of settings.WSGI_FAST_PATHS first, Django after."""

    def __init__(self, app: Callable, answerers: list[Answerer] | None = None) -> None:
        self.app = app
        if answerers is None:
            answerers = [import_string(path)() for path in settings.WSGI_FAST_PATHS]
        # A factory may return None: nothing to answer in this configuration.
        self.answerers = [a for a in answerers if a is not None]
        self.ssl_redirect = settings.SECURE_SSL_REDIRECT
        self.secure_headers = security_headers(True)
        self.plain_headers = security_headers(False)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not self.answerers or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        started = perf_counter()
        secure = is_secure(environ)
        if self.ssl_redirect and not secure:
            return self.app(environ, start_response)  # SecurityMiddleware redirects
        answer = None
        for answerer in self.answerers:
            try:
                answer = answerer(environ)
            except Exception:  # noqa: BLE001 - Django answers instead, as before
                log.exception("a fast path failed; Django answers")
                answer = None
            if answer is not None:
                break
        if answer is None:
            for answerer in self.answerers:
                learns = getattr(answerer, "learns", None)
                if learns is not None and learns(environ):
                    return answerer.learn(self.app, environ, start_response)
            return self.app(environ, start_response)
        if answer.status >= 400:
            # Errors are Django's to answer and to log.
            if answer.file is not None:
                answer.file.close()
            return self.app(environ, start_response)
        headers = answer.headers
        extra = self.secure_headers if secure else self.plain_headers
        if extra:
            present = {name.lower() for name, _ in headers}
            headers = headers + [(k, v) for k, v in extra if k.lower() not in present]
        start_response(answer.status_line, headers)
        instruments.observe_answer(
            answer.route, environ["REQUEST_METHOD"], answer.status, perf_counter() - started
        )
        if answer.file is not None:
            wrapper = environ.get("wsgi.file_wrapper")
            if wrapper is not None:
                return wrapper(answer.file)
            return _read_all(answer.file)
        return answer.body


def _read_all(file) -> list[bytes]:
    try:
        return [file.read()]
    finally:
        file.close()


def static_files() -> Answerer | None:
    """Static files as WhiteNoiseMiddleware serves them (the same files, the
    same headers), before Django; None while whitenoise re-reads the disk on
    each request (development)."""
    from whitenoise.middleware import WhiteNoiseMiddleware
    from whitenoise.string_utils import decode_path_info

    if "whitenoise.middleware.WhiteNoiseMiddleware" not in settings.MIDDLEWARE:
        return None
    whitenoise = WhiteNoiseMiddleware()
    if whitenoise.autorefresh:
        return None
    files = whitenoise.files
    prefix = whitenoise.static_prefix

    def answer(environ: dict) -> Answer | None:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(prefix):
            return None
        try:
            found = files.get(decode_path_info(path))
        except UnicodeDecodeError:
            return None
        if found is None:
            return None
        response = found.get_response(environ["REQUEST_METHOD"], environ)
        status = response.status
        return Answer(
            "static",
            int(status),
            f"{status.value} {status.phrase}",
            list(response.headers),
            file=response.file,
        )

    return answer


def host_allowed(environ: dict) -> bool:
    """Whether Django's `request.get_host()` would accept this request's Host;
    False too where it would look elsewhere (X-Forwarded-Host) or guess."""
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
        return False
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "")
        port = str(environ.get("SERVER_PORT", ""))
        if port != ("443" if is_secure(environ) else "80"):
            host = f"{host}:{port}"
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return _host_ok(host, tuple(allowed))


@functools.lru_cache(maxsize=256)
def _host_ok(host: str, allowed: tuple[str, ...]) -> bool:
    """Django's host check, once per Host header and setting (a client that
    sends many names costs the check again, not unbounded memory)."""
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed)


# What makes an answer depend on more than its path: such requests are Django's.
_PERSONAL = (
    "HTTP_COOKIE",
    "HTTP_AUTHORIZATION",
    "HTTP_X_MANAGE_TOKEN",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_RANGE",
)


@dataclass(slots=True)
class _Kept:
    route: str
    status_line: str
    headers: list[tuple[str, str]]
    body: bytes
    expires_in: float | None  # Expires, as seconds after the answer was made


class ConstantAnswers:
    """Paths whose answer is the same for every request (settings.
    WSGI_CONSTANT_PATHS: /healthz, whose 200 says the process is up): the
    first 200 Django gives for a plain request is kept, headers and all, and
    given again with a new X-Request-ID (an `Expires` moved on by as much).
    Only to plain requests: no query string, cookie, credentials, conditional
    or range header, and a Host Django accepts; the rest go to Django, which
    answers them (a bad Host is its 400). An answer that sets a cookie or
    varies is never kept. A process keeps what it learnt until it ends: a
    path listed here must not change its answer while the process runs."""

    # Headers of the kept answer that the answerer makes anew for each request
    # (lower case); the rest are given again as Django gave them.
    made_here: frozenset[str] = frozenset({REQUEST_ID_HEADER.lower()})

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = frozenset(paths)
        # By path and scheme: an HTTPS answer carries HSTS, a plain one does not.
        self.kept: dict[tuple[str, bool], _Kept] = {}  # by kept_key()
        self.lock = threading.Lock()

    def kept_key(self, environ: dict) -> tuple[str, bool]:
        """Under what the answer learnt from this request is kept."""
        return (environ.get("PATH_INFO", ""), is_secure(environ))

    def _plain(self, environ: dict) -> bool:
        return (
            environ.get("PATH_INFO", "") in self.paths
            and not environ.get("QUERY_STRING")
            and not any(environ.get(name) for name in _PERSONAL)
            and host_allowed(environ)
        )

    def __call__(self, environ: dict) -> Answer | None:
        kept = self.kept.get(self.kept_key(environ))
        if kept is None or not self._plain(environ):
            return None
        headers = list(kept.headers)
        if kept.expires_in is not None:
            headers.append(("Expires", http_date(time.time() + kept.expires_in)))
        request_id = sane_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        headers.append((REQUEST_ID_HEADER, request_id))
        return Answer(kept.route, 200, kept.status_line, headers, [kept.body])

    def learns(self, environ: dict) -> bool:
        return (
            environ.get("PATH_INFO", "") in self.paths
            and self.kept_key(environ) not in self.kept
            and self._plain(environ)
        )

    def learn(self, app: Callable, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Django answers; a 200 fit to keep is kept."""
        made = time.time()
        seen: list = []

        def watch(status, headers, exc_info=None):
            seen[:] = [status, list(headers)]
            return start_response(status, headers, exc_info)

        result = app(environ, watch)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if seen and seen[0].startswith("200 "):
            self._keep(environ, seen[0], seen[1], body, made)
        return [body]

    def _keep(
        self, environ: dict, status_line: str, headers: list, body: bytes, made: float
    ) -> None:
        from django.urls import Resolver404, resolve

        path = environ["PATH_INFO"]
        names = {name.lower() for name, _ in headers}
        if "set-cookie" in names or "vary" in names:
            return
        expires_in = None
        kept_headers = []
        for name, value in headers:
            low = name.lower()
            if low in self.made_here:
                continue
            if low == "expires":
                try:
                    expires_in = max(parsedate_to_datetime(value).timestamp() - made, 0.0)
                except (TypeError, ValueError):
                    return
                expires_in = float(round(expires_in))
                continue
            kept_headers.append((name, value))
        try:
            match = resolve(path)
        except Resolver404:
            return
        route = match.view_name or match.route or "unnamed"
        with self.lock:
            self.kept[self.kept_key(environ)] = _Kept(
                route, status_line, kept_headers, body, expires_in
            )


def constant_answers() -> ConstantAnswers | None:
    """The answerer of settings.WSGI_CONSTANT_PATHS (None for none)."""
    paths = getattr(settings, "WSGI_CONSTANT_PATHS", ())
    return ConstantAnswers(paths) if paths else None
