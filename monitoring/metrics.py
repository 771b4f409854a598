"""The ResourceMetrics of SPEC M-2: one snapshot computed from the database
(a handful of aggregate queries) and psutil, sampled into `MetricSample`."""

from __future__ import annotations

import statistics
import threading
from datetime import datetime, timedelta
from time import monotonic
from typing import Any

import psutil
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from extraction.models import ExtractionJob, JobState
from portfolios.models import Portfolio, State

from . import alerts
from .models import MetricSample

# The window of the rates (success, cache hits).
RATE_WINDOW = timedelta(hours=24)
# Same notion as the processing-time alert (alerts.py): the last 20 real runs.
RECENT_RUNS = 20
# The average lifetime is that of the last 100 portfolios cleaned up.
RECENT_LIFETIMES = 100

# Every metric, in the order of SPEC M-2 (the MetricSample fields but taken_at).
FIELDS = (
    "active_portfolios",
    "total_created",
    "total_cleaned",
    "average_lifetime_hours",
    "extraction_success_rate",
    "average_processing_seconds",
    "queue_depth",
    "cache_hit_rate",
    "memory_percent",
    "cpu_percent",
    "disk_percent",
    "model_quota_percent",
)


def snapshot(now: datetime | None = None) -> dict[str, Any]:
    """The M-2 metrics now: seven queries, each served by an index."""
    now = now or timezone.now()
    return {
        **_portfolio_figures(),
        **_extraction_figures(now),
        "memory_percent": psutil.virtual_memory().percent,
        "cpu_percent": cpu_percent(),
        "disk_percent": disk_percent(),
        "model_quota_percent": _round(alerts.model_quota_left(), 1),
    }


def sample(dry_run: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Record one MetricSample (unless dry_run); the snapshot is the statistics."""
    now = now or timezone.now()
    figures = snapshot(now)
    if not dry_run:
        MetricSample.objects.create(taken_at=now, **figures)
    return {**figures, "written": 0 if dry_run else 1}


def history(since: datetime):
    """Samples taken since `since`, oldest first (the dashboard's charts)."""
    return MetricSample.objects.since(since)


# --- From the database -------------------------------------------------------------


def _portfolio_figures() -> dict[str, Any]:
    # A portfolio has been cleaned up when its sandbox was removed at least
    # once: archived_at is set then, and kept after a restore. Counting
    # archived_at is an index-only count (portfolio_archived_at).
    counts = Portfolio.objects.aggregate(created=Count("*"), cleaned=Count("archived_at"))
    # The lifetime of the portfolios cleaned up most recently, from
    # publication (or creation, for a build that never went live) to archive:
    # what a portfolio lives now, at a cost that does not grow with history.
    lives = [
        (archived - (published or created)).total_seconds()
        for published, created, archived in Portfolio.objects.filter(
            state=State.ARCHIVED, archived_at__isnull=False
        )
        .order_by("-archived_at")
        .values_list("published_at", "created_at", "archived_at")[:RECENT_LIFETIMES]
    ]
    return {
        # The very query of capacity.status().in_use: states that hold a sandbox.
        "active_portfolios": Portfolio.objects.holding_sandbox().count(),
        # Rows, so a portfolio its owner erased (SPEC P-7) no longer counts.
        "total_created": counts["created"],
        "total_cleaned": counts["cleaned"],
        "average_lifetime_hours": (round(statistics.fmean(lives) / 3600, 2) if lives else None),
    }


def _extraction_figures(now: datetime) -> dict[str, Any]:
    # Cancelled jobs are left out: the caller changed their mind, the
    # extraction neither worked nor failed. (state, finished_at) is indexed.
    row = ExtractionJob.objects.filter(
        state__in=[JobState.SUCCEEDED, JobState.FAILED], finished_at__gte=now - RATE_WINDOW
    ).aggregate(
        finished=Count("pk"),
        succeeded=Count("pk", filter=Q(state=JobState.SUCCEEDED)),
        cached=Count("pk", filter=Q(cached=True)),
    )
    finished = row["finished"]
    durations = ExtractionJob.objects.recent_durations(limit=RECENT_RUNS)
    return {
        "extraction_success_rate": _round(row["succeeded"] / finished, 4) if finished else None,
        "average_processing_seconds": (
            round(statistics.fmean(durations), 2) if durations else None
        ),
        "queue_depth": ExtractionJob.objects.waiting().count(),
        "cache_hit_rate": _round(row["cached"] / finished, 4) if finished else None,
    }


# --- From the machine --------------------------------------------------------------

_cpu_lock = threading.Lock()
_cpu_read_at: float | None = None
_cpu_value = 0.0
# Below this, psutil's window since the previous reading is too short to mean much.
_CPU_MIN_WINDOW_S = 1.0


def cpu_percent() -> float:
    """System-wide CPU use in percent, without making the caller wait.

    psutil.cpu_percent(interval=None) measures since its previous call in
    this process and answers a meaningless 0.0 the first time; a blocking
    interval would add its length to every /metrics scrape and API read.
    So the first reading of a process is the 1-minute load average per
    core (capped at 100), and later ones are psutil's utilisation since the
    previous reading, which is the time between two samples or scrapes;
    readings closer than a second apart repeat the last value rather than
    restart psutil's window.
    """
    global _cpu_read_at, _cpu_value
    with _cpu_lock:
        at = monotonic()
        if _cpu_read_at is None:
            psutil.cpu_percent(interval=None)  # starts psutil's window
            load = psutil.getloadavg()[0] / (psutil.cpu_count() or 1)
            _cpu_read_at, _cpu_value = at, round(min(100.0, load * 100), 1)
        elif at - _cpu_read_at >= _CPU_MIN_WINDOW_S:
            _cpu_read_at, _cpu_value = at, psutil.cpu_percent(interval=None)
        return _cpu_value


def disk_percent() -> float | None:
    """Use of the disk that holds DATA_DIR (uploads, sandboxes, database, backups)."""
    try:
        return psutil.disk_usage(str(settings.DATA_DIR)).percent
    except OSError:
        return None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
