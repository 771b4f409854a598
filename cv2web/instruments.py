"""Counters and histograms of what happens (SPEC M-5): events count up in the
process where they happen, and `/metrics` (monitoring.prometheus) adds them up.

Every app may call these (the module sits with core and imports no app). Under
gunicorn the processes share PROMETHEUS_MULTIPROC_DIR (prometheus_client's
multiprocess mode, docs/deploy.md, Monitoring), so a scrape answered by one
worker counts the events of all of them, and of a qcluster given the same
directory. Without it (runserver, the tests) the values live in this process.

An event inside a transaction counts when it commits: a rolled-back creation
did not happen.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from prometheus_client import Counter, Histogram, disable_created_metrics

# OpenMetrics reserves `_created`; prometheus_client would add a `<name>_created`
# sample to each counter and histogram of this process. Rates need none.
disable_created_metrics()

# --- HTTP ------------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "cv2web_http_requests",
    "HTTP requests answered, by route (URL pattern name), method and status class.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "cv2web_http_request_duration_seconds",
    "Time to answer an HTTP request in the application, by route and status class.",
    ["route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# --- Extraction ------------------------------------------------------------------

EXTRACTIONS = Counter(
    "cv2web_extractions",
    "Extraction jobs finished, by extractor and outcome (succeeded, failed, cached, imported).",
    ["extractor", "outcome"],
)
EXTRACTION_CACHE_HITS = Counter(
    "cv2web_extraction_cache_hits",
    "Extractions answered from the result cache, at upload or by a worker.",
    ["where"],
)
EXTRACTION_DURATION = Histogram(
    "cv2web_extraction_duration_seconds",
    "Duration of the extractions that really ran (not cached), by the extractor that answered.",
    ["extractor"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0),
)

# --- Portfolios ------------------------------------------------------------------

PORTFOLIO_CREATIONS = Counter(
    "cv2web_portfolio_creations", "Portfolios created (a first publication)."
)
PORTFOLIO_CLEANUPS = Counter(
    "cv2web_portfolio_cleanups", "Portfolio sandboxes removed (a portfolio archived)."
)

# --- Quotas ----------------------------------------------------------------------

RATELIMIT_REFUSALS = Counter(
    "cv2web_ratelimit_refusals",
    "Requests refused by a rate limit, by its group.",
    ["group"],
)
UPLOAD_REFUSALS = Counter(
    "cv2web_upload_refusals",
    "Uploads refused, by the code the caller got (quota_exceeded, queue_full, a bad file...).",
    ["code"],
)


def on_commit(count: Callable[[], object]) -> None:
    """Run `count` when the current transaction commits (at once outside one)."""
    transaction.on_commit(count)


def extraction_finished(
    extractor: str, outcome: str, *, duration_ms: int | None = None, cached_where: str = ""
) -> None:
    def count() -> None:
        EXTRACTIONS.labels(extractor or "unknown", outcome).inc()
        if cached_where:
            EXTRACTION_CACHE_HITS.labels(cached_where).inc()
        if duration_ms is not None:
            EXTRACTION_DURATION.labels(extractor or "unknown").observe(duration_ms / 1000)

    on_commit(count)


def portfolio_created() -> None:
    on_commit(PORTFOLIO_CREATIONS.inc)


def portfolios_cleaned(n: int = 1) -> None:
    if n:
        on_commit(lambda: PORTFOLIO_CLEANUPS.inc(n))


def ratelimit_refused(group: str) -> None:
    RATELIMIT_REFUSALS.labels(group).inc()


def upload_refused(code: str) -> None:
    UPLOAD_REFUSALS.labels(code[:40]).inc()


# --- The request middleware --------------------------------------------------------

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(request: HttpRequest) -> str:
    """The URL pattern's name (a bounded label), never the raw path."""
    match = request.resolver_match
    if match is None:
        # Named by the middleware that answered (PublicSiteMiddleware).
        route = getattr(request, "metrics_route", None)
        if route is not None:
            return route
        # Answered before URL resolution (static files, published sites served
        # from memory, a refusal) or unresolvable: resolve only then.
        path = request.path_info
        if path.startswith(settings.STATIC_URL or "/static/"):
            return "static"
        try:
            match = resolve(path)
        except Resolver404:
            return "unmatched"
    return match.view_name or match.route or "unnamed"


_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}


def observe_answer(route: str, method: str, status_code: int, elapsed: float) -> None:
    """Count and time one answer. The labelled children are kept by their
    labels (a bounded set: routes, methods and status classes), so that a
    request skips prometheus_client's label checks."""
    status = f"{status_code // 100}xx"
    if method not in _METHODS:
        method = "other"
    key = (route, method, status)
    children = _children.get(key)
    if children is None:
        children = (
            HTTP_REQUESTS.labels(route, method, status),
            HTTP_DURATION.labels(route, status),
        )
        _children[key] = children
    children[0].inc()
    children[1].observe(elapsed)


class MetricsMiddleware:
    """Counts and times every answer; first in MIDDLEWARE so that it sees all.

    Its cost per request: two clock reads, one `resolver_match` read and two
    observations (a lock and an add each, or an mmap write in multiprocess
    mode; `observe_answer`). No database, no cache.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = perf_counter()
        response = self.get_response(request)
        elapsed = perf_counter() - started
        try:
            route = route_of(request)
        except Exception:  # noqa: BLE001 - a metric must never fail a request
            route = "unnamed"
        observe_answer(route, request.method or "", response.status_code, elapsed)
        return response
