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
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from .. import lifecycle, sandbox
from ..models import Portfolio, State

log = logging.getLogger("cv2web.portfolios")

# The sandbox's own page: no scripts at all, only its own stylesheet.
SANDBOX_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOWNLOADS = ("site.zip", "contact.vcf", "resume.json")
PAGE = "index.html"


@require_safe
def public(request, slug: str, name: str = PAGE):
    # The document is not needed to serve files (only to rebuild, below).
    portfolio = Portfolio.objects.defer("resume").filter(slug=slug).first()
    if portfolio is None or name not in sandbox.FILES:
        raise Http404
    if portfolio.state in (State.ARCHIVED, State.CLEANUP):
        return render(request, "portfolios/gone.html", {"portfolio": portfolio}, status=410)
    if portfolio.state == State.CREATING:
        response = render(request, "portfolios/building.html", status=503)
        response["Retry-After"] = "5"
        return response
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
    return response


# --- Served like static files ---------------------------------------------------


@dataclass
class _File:
    content: bytes
    headers: dict[str, str]
    etag: str
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
    return _Site(key, etags if isinstance(etags, dict) else {})


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
    return _File(content, headers, etag)


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
                return response
        return self.get_response(request)

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
