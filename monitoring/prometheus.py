"""`/metrics` (SPEC M-5), for scrapers on METRICS_ALLOWED_IPS or with the bearer
token, in Prometheus' text format:

- counters and histograms of events (cv2web.instruments): HTTP requests by
  route and status class, extractions, cache hits, portfolios created and
  cleaned up, refusals. Under gunicorn they are read from
  PROMETHEUS_MULTIPROC_DIR, so every worker's (and a qcluster's sharing the
  directory) are added up whichever worker answers;
- gauges of levels read from the database (the M-2 snapshot, open alerts):
  the same on every machine, so they hold for a deployment of many;
- process and Python metrics, and `cv2web_build_info`.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import os
import platform
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

import cv2web.instruments  # noqa: F401 - defines the counters this process exports

from . import metrics
from .models import Alert

# snapshot key -> (metric name, help, factor into Prometheus' base unit).
# Percentages become 0..1 ratios and hours seconds, as Prometheus names them.
# All are levels (gauges), read from the database on every scrape, so every
# machine answers the same. The portfolio figures count rows, and an owner
# erasing a portfolio (SPEC P-7) lowers them: the events themselves are the
# counters cv2web_portfolio_creations_total and cv2web_portfolio_cleanups_total.
GAUGES: dict[str, tuple[str, str, float]] = {
    "active_portfolios": (
        "cv2web_active_portfolios",
        "Portfolios holding a sandbox (capacity in use).",
        1,
    ),
    "total_created": ("cv2web_portfolios_on_record", "Portfolios on record (not erased).", 1),
    "total_cleaned": (
        "cv2web_portfolios_cleaned_on_record",
        "Portfolios on record whose sandbox was cleaned up at least once.",
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
        # Named apart from the total (not `cv2web_alert_open`): sum() of this
        # family is cv2web_alerts_open.
        by_key = GaugeMetricFamily(
            "cv2web_alerts_open_by_key", "Alerts open now, by their key.", labels=["key"]
        )
        for key, count in sorted(self.open_alerts.items()):
            by_key.add_metric([key], count)
        yield by_key


class BuildInfoCollector(Collector):
    """`cv2web_build_info{version,...} 1`: what runs, for joins and dashboards."""

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "cv2web_build_info",
            "The running cv2web: its version and those of Python and Django (always 1).",
            labels=["version", "python", "django"],
        )
        info.add_metric(
            [
                settings.SPECTACULAR_SETTINGS["VERSION"],
                platform.python_version(),
                django.__version__,
            ],
            1,
        )
        yield info


class _Default(Collector):
    """This process's own registry (single-process mode): the instruments and
    prometheus_client's process, platform and GC collectors."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


_PID_FILE = re.compile(r"_(\d+)\.db$")


class ProcessesCollector(Collector):
    """Multiprocess mode: process_* of every live process that writes to the
    metrics directory (each gunicorn worker, a qcluster sharing it), labelled
    with its pid. prometheus_client's ProcessCollector reads only the process
    it runs in, which would be whichever worker answered the scrape."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def pids(self) -> list[int]:
        found = set()
        for path in self.directory.glob("*.db"):
            match = _PID_FILE.search(path.name)
            if match:
                found.add(int(match.group(1)))
        return sorted(pid for pid in found if Path(f"/proc/{pid}").exists())

    def collect(self) -> Iterator[Metric]:
        merged: dict[str, Metric] = {}
        for pid in self.pids():
            for family in ProcessCollector(pid=lambda pid=pid: pid, registry=None).collect():
                target = merged.setdefault(
                    family.name, Metric(family.name, family.documentation, family.type)
                )
                for sample in family.samples:
                    target.add_sample(sample.name, {**sample.labels, "pid": str(pid)}, sample.value)
        yield from merged.values()


def registry() -> CollectorRegistry:
    """A registry of its own per scrape, over the database's figures and the
    events of this process or, in multiprocess mode, of all of them."""
    open_alerts = dict(
        Alert.objects.open().values("key").annotate(n=Count("pk")).values_list("key", "n")
    )
    reg = CollectorRegistry(auto_describe=False)
    reg.register(SnapshotCollector(metrics.snapshot(), open_alerts))
    reg.register(BuildInfoCollector())
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        multiprocess.MultiProcessCollector(reg, path=directory)
        reg.register(ProcessesCollector(directory))
        # python_info is the same in every worker; GC figures are per process
        # and are left out here (docs/deploy.md, Monitoring).
        reg.register(PlatformCollector(registry=None))
    else:
        reg.register(_Default())
    return reg


def exposition() -> bytes:
    """The text a scrape gets."""
    return generate_latest(registry())


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
