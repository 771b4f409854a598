"""`/metrics` (SPEC M-5): the M-2 snapshot and the open alerts in Prometheus'
text format, for scrapers on METRICS_ALLOWED_IPS or with the bearer token."""

from __future__ import annotations

import hmac
import ipaddress
import math
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from . import metrics
from .models import Alert

# snapshot key -> (metric name, help, factor into Prometheus' base unit).
# Percentages become 0..1 ratios and hours seconds, as Prometheus names them.
# The portfolio counts are gauges, not counters: they count rows, and an
# owner erasing a portfolio (SPEC P-7) lowers them, which rate() would read
# as a counter reset.
GAUGES: dict[str, tuple[str, str, float]] = {
    "active_portfolios": (
        "cv2web_active_portfolios",
        "Portfolios holding a sandbox (capacity in use).",
        1,
    ),
    "total_created": ("cv2web_portfolios_created", "Portfolios created (still on record).", 1),
    "total_cleaned": (
        "cv2web_portfolios_cleaned",
        "Portfolios whose sandbox was cleaned up at least once.",
        1,
    ),
    "average_lifetime_hours": (
        "cv2web_portfolio_average_lifetime_seconds",
        "Average life of the last 100 portfolios cleaned up, publication to archive.",
        3600,
    ),
    "extraction_success_rate": (
        "cv2web_extraction_success_ratio",
        "Share of the extractions finished in the last 24 h that succeeded.",
        1,
    ),
    "average_processing_seconds": (
        "cv2web_extraction_average_duration_seconds",
        "Average duration of the last 20 extractions that really ran (not cached).",
        1,
    ),
    "queue_depth": ("cv2web_extraction_queue_depth", "Extraction jobs waiting to run.", 1),
    "cache_hit_rate": (
        "cv2web_extraction_cache_hit_ratio",
        "Share of the extractions finished in the last 24 h answered from the cache.",
        1,
    ),
    "memory_percent": ("cv2web_memory_usage_ratio", "Memory in use on this machine.", 0.01),
    "cpu_percent": ("cv2web_cpu_usage_ratio", "CPU in use on this machine.", 0.01),
    "disk_percent": ("cv2web_disk_usage_ratio", "Use of the disk holding DATA_DIR.", 0.01),
    "model_quota_percent": (
        "cv2web_model_quota_remaining_ratio",
        "Model API requests left in the current rate-limit window, from its last answer.",
        0.01,
    ),
}


class SnapshotCollector(Collector):
    """Turns one snapshot (and the open alerts) into metric families."""

    def __init__(self, snapshot: dict[str, Any], open_alerts: dict[str, int]) -> None:
        self.snapshot = snapshot
        self.open_alerts = open_alerts

    def collect(self) -> Iterator[Metric]:
        for key, (name, help_text, factor) in GAUGES.items():
            value = self.snapshot.get(key)
            # Unknown (nothing finished yet, no model call recorded): NaN keeps
            # the series present, and every comparison on it is false, so no
            # alerting rule fires on a value that does not exist.
            yield GaugeMetricFamily(
                name, help_text, value=math.nan if value is None else value * factor
            )
        total = GaugeMetricFamily("cv2web_alerts_open", "Alerts open now (SPEC M-3).")
        total.add_metric([], sum(self.open_alerts.values()))
        yield total
        by_key = GaugeMetricFamily(
            "cv2web_alert_open", "1 for each alert open now, by its key.", labels=["key"]
        )
        for key, count in sorted(self.open_alerts.items()):
            by_key.add_metric([key], count)
        yield by_key


def exposition() -> bytes:
    """The text a scrape gets: a registry of its own, so nothing is shared
    between requests or processes (the figures live in the database)."""
    open_alerts = dict(
        Alert.objects.open().values("key").annotate(n=Count("pk")).values_list("key", "n")
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(metrics.snapshot(), open_alerts))
    return generate_latest(registry)


# --- Who may scrape ----------------------------------------------------------------


def _allowed_address(ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    # The entries were checked at start-up (settings.py).
    return any(
        address in ipaddress.ip_network(entry, strict=False)
        for entry in settings.METRICS_ALLOWED_IPS
    )


def _valid_token(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    if not expected:
        return False  # no token configured: only the allowed addresses get in
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def may_scrape(request: HttpRequest) -> bool:
    ip = getattr(request, "client_ip", None) or request.META.get("REMOTE_ADDR", "")
    return _allowed_address(ip) or _valid_token(request)


@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not may_scrape(request):
        response = HttpResponse(
            "Forbidden: /metrics answers scrapers on METRICS_ALLOWED_IPS or with "
            "'Authorization: Bearer <METRICS_TOKEN>'.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    else:
        response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
