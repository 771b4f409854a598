"""The public's pages: published portfolios, served from their sandbox (SPEC P-2).
(The service's status page is monitoring's: monitoring.views.)

Two ways in, one answer:

- `public`, the view: finds the portfolio in the database, says 410, 503 or
  404 where there is no site to serve, rebuilds a missing sandbox, and serves
  the file.
- `PublicSiteMiddleware`, placed right after whitenoise: once the view has
  served a portfolio, this process knows its slug, and every later request
  for one of its files is answered like a static file, before sessions,
  CSRF, authentication, messages and URL resolving: the bytes and headers
  are kept in memory per sandbox folder, checked with one `stat` of the
  folder (a rebuild renames a new folder into place). No database query;
  a visit is written at most once a minute per portfolio and process
  (lifecycle.touch, which writes at most once a minute per portfolio). A
  sandbox that is gone (archived, erased) or outdated falls through to the
  view, which answers as it always did.

A passphrase (portfolios.gate) gates every file of a site in both: the
middleware serves a gated file only to a request carrying the site's signed
cookie (before any X-Accel-Redirect), and leaves the others to the view, which
answers with the passphrase form; `unlock` checks a passphrase, its guesses
limited per address and per portfolio. A site whose person chose noindex gets
`X-Robots-Tag` on every file.

Both give the same headers: the sandbox's own Content-Security-Policy,
X-Frame-Options, caching and ETag here, the security headers of
SecurityMiddleware (before both in MIDDLEWARE) and the request id.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from cv2web import instruments
from cv2web.fastpath import Answer
from cv2web.logs import REQUEST_ID_HEADER, new_request_id, sane_request_id
from monitoring import audit
from quotas import ratelimits

from .. import gate, lifecycle, sandbox
from ..models import Portfolio, State

log = logging.getLogger("cv2web.portfolios")

# The sandbox's own page: no scripts at all, only its own stylesheet.
SANDBOX_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOWNLOADS = ("site.zip", "contact.vcf", "resume.json")
PAGE = "index.html"
# Sent with every file of a site whose person asked search engines to stay away
# (the page also carries <meta name="robots">; the downloads only have this).
NOINDEX = "noindex, nofollow"
# A gated site's files may be kept by the browser that passed, never by a
# shared cache, which would hand them to people who did not.
GATED_CACHE_CONTROL = "private, max-age=300"


def _privacy_headers(response: HttpResponse, *, noindex: bool, gated: bool) -> None:
    if noindex:
        response["X-Robots-Tag"] = NOINDEX
    if gated:
        response["Cache-Control"] = GATED_CACHE_CONTROL
        patch_vary_headers(response, ("Cookie",))


def _gate_page(request, slug: str, name: str, *, status: int, error: str = "") -> HttpResponse:
    """The passphrase form instead of the file: it names nobody (the URL is all
    a stranger learns) and is never cached."""
    response = render(
        request,
        "portfolios/passphrase.html",
        {
            "unlock_url": f"/p/{slug}/unlock",
            "next": "" if name == PAGE else name,
            "error": error,
            "max_length": settings.PORTFOLIO_PASSPHRASE_MAX_LENGTH,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = NOINDEX
    return response


def _gone_page(request, portfolio: Portfolio, *, gated: bool) -> HttpResponse:
    """410 for an archived site. It names the person only when the site was open
    to everyone: behind a passphrase the name was never public, and the gate is
    not asked for here (there is nothing left to open)."""
    response = render(
        request,
        "portfolios/gone.html",
        {"name": "" if gated else portfolio.display_name},
        status=410,
    )
    # Never kept by a cache (ConditionalGetMiddleware gives no ETag to no-store):
    # a restore would otherwise stay hidden behind a stored 410.
    response["Cache-Control"] = "no-store"
    if gated or not portfolio.allow_indexing:
        response["X-Robots-Tag"] = NOINDEX
    return response


@require_safe
def public(request, slug: str, name: str = PAGE):
    # The document is not needed to serve files (only to rebuild, below).
    portfolio = Portfolio.objects.defer("resume").filter(slug=slug).first()
    if portfolio is None or name not in sandbox.FILES:
        raise Http404
    gate_token = gate.token_of(portfolio.pk, portfolio.passphrase_hash)
    if portfolio.state in (State.ARCHIVED, State.CLEANUP):
        return _gone_page(request, portfolio, gated=bool(gate_token))
    if portfolio.state == State.CREATING:
        response = render(request, "portfolios/building.html", status=503)
        response["Retry-After"] = "5"
        response["Cache-Control"] = "no-store"
        return response
    if not gate.passed(request.COOKIES, gate_token):
        # Every file, the downloads included: nothing of a gated site without it.
        return _gate_page(request, portfolio.slug, name, status=403)
    try:
        found = sandbox.read_or_rebuild(portfolio, name)
    except sandbox.Unavailable:
        response = render(request, "portfolios/building.html", status=503)
        response["Retry-After"] = "60"
        return response
    if found is None:
        raise Http404
    content, content_type, etag = found
    if name == PAGE:
        lifecycle.touch(portfolio, visit=True)
        _served.visited(portfolio.pk, time.monotonic())
    # From now on this process serves the site's files itself (see the middleware).
    _served.learn(portfolio.slug, str(portfolio.pk))
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content, content_type=content_type)
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=300)
    if name in DOWNLOADS:
        response["Content-Disposition"] = f'attachment; filename="{portfolio.slug}-{name}"'
    response["Content-Security-Policy"] = SANDBOX_CSP
    _privacy_headers(response, noindex=not portfolio.allow_indexing, gated=bool(gate_token))
    return response


@require_POST
def unlock(request, slug: str):
    """Check a passphrase; the right one sets the site's cookie and goes back.

    Guesses are limited per address and per portfolio before the passphrase is
    even compared, so once a limit is reached the right one is refused too,
    until the window passes. An unknown slug is a 404, as the page's own URL
    says; a site without a passphrase just sends the visitor to it.
    """
    portfolio = Portfolio.objects.defer("resume").filter(slug=slug).first()
    if portfolio is None:
        raise Http404
    name = request.POST.get("next", "")
    name = name if name in sandbox.FILES else PAGE
    target = f"/p/{portfolio.slug}/" + ("" if name == PAGE else name)
    if not portfolio.passphrase_hash:
        return HttpResponseRedirect(target, status=303)
    for group, rate, subject in (
        (
            "passphrase",
            settings.RATELIMIT_PASSPHRASE,
            f"ip:{getattr(request, 'client_bucket', '') or 'unknown'}",
        ),
        ("passphrase-portfolio", settings.RATELIMIT_PASSPHRASE_PORTFOLIO, f"p:{portfolio.pk}"),
    ):
        decision = ratelimits.check(request, group, rate, fail_closed=True, subject=subject)
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
                {"retry_after": decision.retry_after, "what": _("passphrase attempts")},
                status=429,
            )
            response["Retry-After"] = str(decision.retry_after)
            response["Cache-Control"] = "no-store"
            return response
    passphrase = request.POST.get("passphrase", "")
    if not passphrase.strip():
        return _gate_page(request, portfolio.slug, name, status=400, error="Enter the passphrase.")
    if len(passphrase) > settings.PORTFOLIO_PASSPHRASE_MAX_LENGTH or not gate.matches(
        portfolio.passphrase_hash, passphrase
    ):
        return _gate_page(
            request,
            portfolio.slug,
            name,
            status=403,
            error="That passphrase is not right. Check it with the person who gave it to you.",
        )
    response = HttpResponseRedirect(target, status=303)
    response.set_cookie(
        gate.COOKIE_NAME,
        gate.cookie_value(gate.token_of(portfolio.pk, portfolio.passphrase_hash)),
        max_age=settings.PORTFOLIO_PASSPHRASE_COOKIE_AGE,
        path=gate.cookie_path(portfolio.slug),
        secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    response["Cache-Control"] = "no-store"
    return response


# --- Served like static files ---------------------------------------------------


@dataclass
class _File:
    content: bytes
    headers: dict[str, str]
    etag: str
    # The site's gate token: its cookie must be shown first ("" for none).
    gate: str = ""
    # The headers as Django's ResponseHeaders stores them (lower-cased name ->
    # (name, value)), checked and encoded once instead of on every answer.
    stored: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        probe = HttpResponse()
        for header, value in self.headers.items():
            probe[header] = value
        self.stored = {
            key: item
            for key, item in probe.headers._store.items()
            if key.lower() in {h.lower() for h in self.headers}
        }


@dataclass
class _Site:
    folder_key: tuple[int, int, int]
    etags: dict[str, str]
    noindex: bool = True
    gate: str = ""
    files: dict[str, _File] = field(default_factory=dict)


class _Served:
    """What this process knows of the sites it has served: slug -> portfolio id,
    each sandbox's files with their headers, and when a visit was last written."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.sites: dict[str, _Site] = {}
        self.visits: dict[str, float] = {}
        self.lock = threading.Lock()

    def learn(self, slug: str, pk: str) -> None:
        with self.lock:
            if len(self.ids) >= settings.PORTFOLIO_SERVE_CACHE_SITES:
                # Rarely reached (a place holds at most a few dozen sites):
                # start again rather than track use.
                self.ids.clear()
                self.sites.clear()
            self.ids[slug] = pk

    def forget(self, slug: str) -> None:
        with self.lock:
            pk = self.ids.pop(slug, None)
            if pk is not None:
                self.sites.pop(pk, None)

    def visited(self, pk, now: float) -> None:
        self.visits[str(pk)] = now

    def visit_due(self, pk: str, now: float) -> bool:
        last = self.visits.get(pk)
        return last is None or now - last >= settings.PORTFOLIO_VISIT_ACTIVITY_S


_served = _Served()


def _folder_key(folder: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(folder)
    except OSError:
        return None
    # A rebuild renames a new folder into place: another inode and ctime.
    return st.st_ino, st.st_ctime_ns, st.st_mtime_ns


def _load_site(folder: str, key: tuple[int, int, int]) -> _Site | None:
    try:
        manifest = json.loads(Path(folder, sandbox.MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != sandbox.FORMAT:
        return None  # an older release's sandbox: the view rebuilds it
    etags = manifest.get("etags")
    gate_token = manifest.get("gate")
    return _Site(
        key,
        etags if isinstance(etags, dict) else {},
        noindex=manifest.get("noindex") is not False,
        gate=gate_token if isinstance(gate_token, str) else "",
    )


def _load_file(site: _Site, folder: str, slug: str, name: str) -> _File | None:
    etag = site.etags.get(name)
    if not isinstance(etag, str):
        return None
    try:
        content = Path(folder, name).read_bytes()
    except OSError:
        return None
    headers = {
        "Content-Type": sandbox.FILES[name],
        "ETag": etag,
        "Cache-Control": "public, max-age=300",  # as patch_cache_control writes it
        "Content-Security-Policy": SANDBOX_CSP,
        # XFrameOptionsMiddleware's, which this answer does not pass through.
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
    }
    if name in DOWNLOADS:
        headers["Content-Disposition"] = f'attachment; filename="{slug}-{name}"'
    # As the view's _privacy_headers.
    if site.noindex:
        headers["X-Robots-Tag"] = NOINDEX
    if site.gate:
        headers["Cache-Control"] = GATED_CACHE_CONTROL
        headers["Vary"] = "Cookie"
    return _File(content, headers, etag, gate=site.gate)


def _site_file(slug: str, pk: str, name: str) -> _File | None:
    # Strings, not Paths: this runs on every request for a site.
    folder = os.path.join(settings.SANDBOX_DIR, pk)
    key = _folder_key(folder)
    if key is None:
        return None
    site = _served.sites.get(pk)
    if site is None or site.folder_key != key:
        site = _load_site(folder, key)
        if site is None:
            return None
        _served.sites[pk] = site
    found = site.files.get(name)
    if found is None:
        found = _load_file(site, folder, slug, name)
        if found is None:
            return None
        site.files[name] = found
    return found


def _count_visit(pk: str) -> None:
    """A public visit keeps the portfolio alive (SPEC P-3): written at most once
    a minute per portfolio by this process, never failing the page."""
    now = time.monotonic()
    if not _served.visit_due(pk, now):
        return
    _served.visited(pk, now)
    try:
        portfolio = Portfolio.objects.defer("resume").filter(pk=pk).first()
        if portfolio is not None:
            lifecycle.touch(portfolio, visit=True)
    except Exception:  # the page is served all the same; the next minute tries again
        log.exception("counting a visit of %s failed", pk)


class PublicSiteMiddleware:
    """Serve the files of sites this process has served before, like static files."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/p/") and request.method in ("GET", "HEAD"):
            response = self._serve(request, path)
            if response is not None:
                request.metrics_route = self._route(request, path)
                return response
        return self.get_response(request)

    # The /metrics route label of each file name ("" for the page itself):
    # what MetricsMiddleware would find by resolving the path, found once
    # instead of on every hit (the slug takes no part in it).
    _routes: dict[str, str] = {}

    def _route(self, request, path: str) -> str:
        name = path[3:].partition("/")[2]
        route = self._routes.get(name)
        if route is None:
            route = self._routes[name] = instruments.route_of(request)
        return route

    def _serve(self, request, path: str) -> HttpResponse | None:
        slug, sep, name = path[3:].partition("/")
        pk = _served.ids.get(slug)
        if pk is None or not sep:
            return None
        name = name or PAGE
        if name not in sandbox.FILES:
            return None
        file = _site_file(slug, pk, name)
        if file is None:
            # Gone, outdated or half-built: the view decides (410, rebuild, 503).
            _served.forget(slug)
            return None
        if file.gate and not gate.passed(request.COOKIES, file.gate):
            # Gated, and this visitor has not passed: the view shows the form.
            return None
        if name == PAGE:
            _count_visit(pk)
        accel = settings.PORTFOLIO_ACCEL_REDIRECT_PREFIX
        if file.etag in request.META.get("HTTP_IF_NONE_MATCH", ""):
            response = HttpResponse(status=304)
        elif accel:
            # The front server sends the file (nginx's internal location over
            # SANDBOX_DIR); the headers set here go with it.
            response = HttpResponse(content_type=file.headers["Content-Type"])
            response["X-Accel-Redirect"] = f"{accel}{pk}/{name}"
        else:
            response = HttpResponse(file.content)
        response.headers._store.update(file.stored)
        if response.status_code == 200 and not accel:
            response["Content-Length"] = str(len(file.content))
        return response


def fast_sites():
    """Published sites this process has served, answered before Django builds a
    request (settings.WSGI_FAST_PATHS, cv2web.fastpath): the same files and
    headers as PublicSiteMiddleware gives, X-Request-ID included. Declined, for
    the middleware and the view to answer: a site not yet served here, a file
    gone or changed on disk, a gated site (its cookie is checked there), and
    the page when a visit is due to be written to the database."""

    def answer(environ: dict) -> Answer | None:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/p/"):
            return None
        slug, sep, name = path[3:].partition("/")
        pk = _served.ids.get(slug)
        if pk is None or not sep:
            return None
        # Learnt by the middleware's first answer, keyed as it keys them.
        route = PublicSiteMiddleware._routes.get(name)
        name = name or PAGE
        if route is None or name not in sandbox.FILES:
            return None
        if name == PAGE and _served.visit_due(pk, time.monotonic()):
            return None
        file = _site_file(slug, pk, name)
        if file is None or file.gate:
            return None
        accel = settings.PORTFOLIO_ACCEL_REDIRECT_PREFIX
        headers = list(file.stored.values())
        body: list[bytes] = []
        if file.etag in environ.get("HTTP_IF_NONE_MATCH", ""):
            status, status_line = 304, "304 Not Modified"
        else:
            status, status_line = 200, "200 OK"
            if accel:
                headers.append(("X-Accel-Redirect", f"{accel}{pk}/{name}"))
            else:
                headers.append(("Content-Length", str(len(file.content))))
                body = [file.content]
        request_id = sane_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        headers.append((REQUEST_ID_HEADER, request_id))
        return Answer(route, status, status_line, headers, body)

    return answer
