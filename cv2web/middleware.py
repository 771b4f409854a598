"""Project-wide response headers, the API's guard against forged writes, and
the Content-Security-Policy built once."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as _CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import JsonResponse
from django.utils.http import is_same_domain

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Schemes of credentials a browser never attaches by itself; a page on another
# site cannot set them either (custom headers need a CORS preflight, which
# this API never grants).
_HEADER_CREDENTIAL_SCHEMES = frozenset({"token", "manage"})


class ApiNoStoreMiddleware:
    """API answers are never cached by browsers or proxies (SPEC A)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/"):
            response["Cache-Control"] = "no-store"
        return response


def carries_header_credentials(request) -> bool:
    """Whether the request authenticates with an API or manage token header."""
    if request.headers.get("X-Manage-Token", "").strip():
        return True
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    return scheme.lower() in _HEADER_CREDENTIAL_SCHEMES and bool(value.strip())


def _site_of(url: str) -> tuple[str, str] | None:
    """(scheme, host[:port]) of an Origin or Referer value, lower-cased."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    return parts.scheme.lower(), parts.netloc.lower()


def is_this_site(request, url: str) -> bool:
    """Whether an Origin or Referer value names this site: the request's own
    host, or one of CSRF_TRUSTED_ORIGINS (`https://*.example.com` allowed)."""
    site = _site_of(url)
    if site is None:
        return False  # `null` (sandboxed frames, data: URLs), garbage
    scheme, netloc = site
    try:
        host = request.get_host().lower()
    except DisallowedHost:
        host = None
    # Behind a TLS proxy that does not say so (no SECURE_PROXY_SSL) the request
    # looks like plain HTTP while the browser's origin is https: same host.
    if netloc == host and (scheme == "https" or not request.is_secure()):
        return True
    return any(
        scheme == trusted_scheme and is_same_domain(netloc, pattern)
        for trusted_scheme, pattern in _trusted_origins()
    )


def _trusted_origins():
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        scheme, sep, rest = trusted.partition("://")
        netloc = rest.split("/", 1)[0].lower()
        if sep and netloc:
            # "*.example.com" -> ".example.com", is_same_domain's wildcard.
            yield scheme.lower(), netloc[1:] if netloc.startswith("*.") else netloc


class CrossOriginWriteMiddleware:
    """SPEC S-5: a write to the API sent by a page on another site is refused.

    Anonymous callers are known by their address and their session cookie,
    both of which a hostile page borrows when it makes the visitor's browser
    post a form (multipart and url-encoded forms need no CORS preflight). DRF
    checks CSRF only for logged-in sessions. So an unsafe request under /api/
    whose `Origin` (or, lacking one, `Referer`) names another site is answered
    403 `cross_origin`, unless it carries an API or manage token header, which
    no other site can make a browser send. Requests naming no origin at all
    (curl, scripts, server-to-server) are not browsers' forged requests and
    pass; logged-in sessions keep DRF's CSRF check as well.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method in UNSAFE_METHODS
            and request.path.startswith("/api/")
            and not carries_header_credentials(request)
        ):
            claimed = request.headers.get("Origin") or request.headers.get("Referer") or ""
            if claimed.strip() and not is_this_site(request, claimed):
                return JsonResponse(
                    {
                        "error": "cross_origin",
                        "message": "This request was sent by a page on another site. "
                        "Send it from this site, or authenticate with your API token "
                        "(Authorization: Token <key>).",
                    },
                    status=403,
                )
        return self.get_response(request)


class CSPMiddleware(_CSPMiddleware):
    """django-csp's middleware, with the site-wide policy built once.

    django-csp builds the header text from the settings on every answer (its
    policy and its report-only policy, twice a dataclass copy each). Answers
    that change nothing (no nonce used, no per-view decorator) get the text
    built the first time for the settings in force; the others are built as
    django-csp always does.
    """

    # report_only -> (the settings' policy object, its header text); holding
    # the object keeps its id from being reused by another.
    _built: dict[bool, tuple[object, str]] = {}

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _CSP_RESPONSE_PARTS
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        for report_only, header, setting, exempt in _CSP_KINDS:
            policy = getattr(settings, setting, None) or {}
            built = self._built.get(report_only)
            if built is not None and built[0] is policy:
                text = built[1]
            else:
                text = build_policy(report_only=report_only)
                self._built[report_only] = (policy, text)
            if (
                text
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(
                    tuple(policy.get("EXCLUDE_URL_PREFIXES") or ())
                )
            ):
                response[header] = text
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


_CSP_RESPONSE_PARTS = tuple(
    f"_csp_{part}{suffix}" for part in ("config", "update", "replace") for suffix in ("", "_ro")
)
_CSP_KINDS = (
    (False, HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt"),
    (True, HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro"),
)


class LeanPathMiddleware:
    """Cheap public reads skip the middleware they never need.

    A GET or HEAD whose path matches settings.LEAN_PATHS (health, the service
    status, a job polled by its owner) and that carries no session cookie has
    no session to load, no CSRF cookie to set, no user to look up in a session
    and no messages: it goes straight to its view (resolved as Django does),
    then through every middleware listed after this one except those
    (settings.LEAN_SKIPPED_MIDDLEWARE): the security headers, the CSP,
    X-Frame-Options, no-store, the quota headers and ETags stay. A request with
    a session cookie takes the whole chain, so a signed-in browser is still
    known by its session.
    """

    def __init__(self, get_response):
        from django.core.handlers.exception import convert_exception_to_response
        from django.utils.module_loading import import_string

        self.get_response = get_response
        paths = settings.LEAN_PATHS
        self.pattern = re.compile("|".join(f"(?:{p})" for p in paths)) if paths else None
        after = settings.MIDDLEWARE[settings.MIDDLEWARE.index(_LEAN) + 1 :]
        handler = convert_exception_to_response(self._view)
        for path in reversed(after):
            if path not in settings.LEAN_SKIPPED_MIDDLEWARE:
                handler = convert_exception_to_response(import_string(path)(handler))
        self.lean = handler

    def __call__(self, request):
        if (
            self.pattern is not None
            and request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and self.pattern.fullmatch(request.path_info)
        ):
            return self.lean(request)
        return self.get_response(request)

    @staticmethod
    def _view(request):
        from django.contrib.auth.models import AnonymousUser
        from django.urls import get_resolver, get_urlconf

        # CommonMiddleware's check, skipped here: a Host outside ALLOWED_HOSTS
        # is a 400 (DisallowedHost), on the lean path too.
        request.get_host()
        resolver = get_resolver(get_urlconf())
        path = request.path_info
        found = _lean_matches.get((resolver, path))
        if found is None:
            found = resolver.resolve(path)
            if not found.args and not found.kwargs:
                # A route without parameters (/healthz, /api/v1/status): the
                # same match every time, found once; a bounded set (the lean
                # patterns' fixed paths). Paths with ids are resolved each time.
                _lean_matches[resolver, path] = found
        # Each request its own, as resolve() gives (ResolverMatch refuses copy()).
        match = object.__new__(type(found))
        match.__dict__.update(found.__dict__)
        request.resolver_match = match
        # No session cookie: nobody is signed in (an API token signs in inside DRF).
        request.user = AnonymousUser()
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if not response.streaming and "Content-Length" not in response:
            response["Content-Length"] = str(len(response.content))
        return response


_LEAN = f"{LeanPathMiddleware.__module__}.{LeanPathMiddleware.__qualname__}"
# (URL resolver, path) -> the ResolverMatch of a lean route without parameters.
_lean_matches: dict[tuple[object, str], object] = {}
