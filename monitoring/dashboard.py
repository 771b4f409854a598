"""What the staff dashboard shows (SPEC M-5): live figures, open alerts, the
last run of every scheduled job and charts of the metric history.

A fixed number of queries whatever the size of the tables: counts and
aggregates, one indexed query per scheduled job, and one query for the
history, which is averaged down to a few hundred points before drawing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString

from . import alerts, charts, metrics
from .charts import fmt
from .models import Alert, JobRun, MetricSample
from .schedules import (
    DAILY,
    HOURLY,
    MINUTES,
    SCHEDULES,
    WEEKLY,
    ScheduledJob,
    is_late,
    next_slots,
)
from .status import ServiceStatus, service_status

log = logging.getLogger("cv2web.monitoring")

RANGES = {
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "30d": ("Last 30 days", timedelta(days=30)),
}
DEFAULT_RANGE = "24h"
MAX_OPEN_ALERTS = 50

CAPACITY_STATES = {
    "normal": "Normal",
    "high_demand": "High demand",
    "full": "Full: new portfolios join the waiting list",
    "emergency": "Emergency mode",
}


@dataclass(frozen=True)
class ChartSpec:
    field: str
    title: str
    unit: str = ""
    scale: float = 1.0  # rates are stored as 0..1 and shown in percent
    y_max: float | None = None


CHARTS = (
    ChartSpec("active_portfolios", "Portfolios online"),
    ChartSpec("queue_depth", "Extractions waiting"),
    ChartSpec("average_processing_seconds", "Average extraction time", "s"),
    ChartSpec("extraction_success_rate", "Extractions that succeeded", "%", 100, 100),
    ChartSpec("cache_hit_rate", "Uploads answered from the cache", "%", 100, 100),
    ChartSpec("memory_percent", "Memory in use", "%", y_max=100),
    ChartSpec("cpu_percent", "Processor in use", "%", y_max=100),
    ChartSpec("disk_percent", "Disk space in use", "%", y_max=100),
    ChartSpec("model_quota_percent", "Model API quota left", "%", y_max=100),
    ChartSpec("average_lifetime_hours", "Average portfolio lifetime", "h"),
)


@dataclass
class Tile:
    """One figure of the "now" panel."""

    label: str
    value: str
    note: str = ""
    alarm: bool = False
    gauge: SafeString | None = None


@dataclass
class JobRow:
    job: ScheduledJob
    when: str
    last: JobRun | None
    next_run: datetime | None
    late: bool
    stats: list[tuple[str, str]] = field(default_factory=list)

    @property
    def duration(self) -> str:
        if self.last is None:
            return ""
        if self.last.finished_at is None:
            return "still running"
        return human_duration(self.last.duration_seconds)


def parse_range(value: str | None) -> str:
    return value if value in RANGES else DEFAULT_RANGE


def build(range_key: str = DEFAULT_RANGE, now: datetime | None = None) -> dict[str, Any]:
    """The whole dashboard's context."""
    now = now or timezone.now()
    range_key = parse_range(range_key)
    figures, figures_note = current_figures(now)
    jobs = job_rows(now)
    status = service_status()
    return {
        "now": now,
        "capacity": capacity_panel(status),
        "queue": queue_panel(status),
        "tiles": tiles(figures),
        "figures_note": figures_note,
        "worker": alerts.worker_reading(now),
        "open_alerts": list(Alert.objects.open().order_by("-opened_at")[:MAX_OPEN_ALERTS]),
        "jobs": jobs,
        "jobs_unscheduled": sum(row.next_run is None for row in jobs),
        "range": range_key,
        "range_label": RANGES[range_key][0],
        "ranges": [(key, label) for key, (label, _) in RANGES.items()],
        "charts": history_charts(range_key, now),
    }


# --- Now -------------------------------------------------------------------------


def capacity_panel(service: ServiceStatus) -> dict[str, Any]:
    status = service.capacity
    marks = [(settings.CAPACITY_WARN_AT, f"alert {settings.CAPACITY_WARN_AT}")]
    if status.overflow_limit > status.limit:
        marks.append((status.limit, f"limit {status.limit}"))
    sentence = f"{status.in_use} of {status.limit} places in use"
    return {
        "status": status,
        "state_label": CAPACITY_STATES.get(status.state, status.state),
        "sentence": sentence,
        "gauge": charts.bar_gauge(
            status.in_use,
            max(status.overflow_limit, status.limit),
            label=f"Portfolio places: {sentence}",
            marks=marks,
            state=status.state,
        ),
    }


def queue_panel(service: ServiceStatus) -> dict[str, Any]:
    queue = service.extraction
    return {
        "waiting": queue.waiting,
        "running": queue.running,
        "max_waiting": queue.max_waiting,
        "max_running": queue.max_running,
        "full": queue.full,
        "gauge": charts.bar_gauge(
            queue.waiting,
            queue.max_waiting,
            label=f"Extraction queue: {queue.waiting} of {queue.max_waiting} places taken",
            state="full" if queue.full else "normal",
        ),
    }


def current_figures(now: datetime) -> tuple[dict[str, Any], str]:
    """The live M-2 figures, or the newest sample when they cannot be read."""
    try:
        return metrics.snapshot(now), ""
    except Exception:  # noqa: BLE001 - the rest of the dashboard must still show
        log.exception("dashboard: live metrics failed")
    latest = MetricSample.objects.order_by("-taken_at").first()
    if latest is None:
        return {}, "Live figures could not be read and no sample has been recorded yet."
    return (
        {f: getattr(latest, f) for f in metrics.FIELDS},
        f"Live figures could not be read: showing the sample of {latest.taken_at:%Y-%m-%d %H:%M}.",
    )


def _percent(rate: float | None) -> float | None:
    return None if rate is None else rate * 100


def _gauge(value: float | None, label: str, alarm: bool) -> SafeString | None:
    if value is None:
        return None
    return charts.bar_gauge(value, 100, label=f"{label}: {fmt(value, '%')}", state=_state(alarm))


def _state(alarm: bool) -> str:
    return "full" if alarm else "normal"


def tiles(figures: dict[str, Any]) -> list[Tile]:
    get = figures.get
    seconds = get("average_processing_seconds")
    memory, cpu, disk = get("memory_percent"), get("cpu_percent"), get("disk_percent")
    quota = get("model_quota_percent")
    slow = seconds is not None and seconds > settings.ALERT_PROCESSING_TIME_S
    memory_high = memory is not None and memory > settings.ALERT_MEMORY_PERCENT
    quota_low = quota is not None and quota < settings.ALERT_MODEL_QUOTA_PERCENT
    return [
        Tile(
            "Uploads answered from the cache",
            fmt(_percent(get("cache_hit_rate")), "%"),
            "of the extractions finished in the last 24 hours",
        ),
        Tile(
            "Extractions that succeeded",
            fmt(_percent(get("extraction_success_rate")), "%"),
            "of the extractions finished in the last 24 hours",
        ),
        Tile(
            "Average extraction time",
            fmt(seconds, "s"),
            f"last 20 extractions; alert above {settings.ALERT_PROCESSING_TIME_S} s",
            alarm=slow,
        ),
        Tile(
            "Memory in use",
            fmt(memory, "%"),
            f"alert above {settings.ALERT_MEMORY_PERCENT}%",
            alarm=memory_high,
            gauge=_gauge(memory, "Memory in use", memory_high),
        ),
        Tile("Processor in use", fmt(cpu, "%"), gauge=_gauge(cpu, "Processor in use", False)),
        Tile(
            "Disk space in use",
            fmt(disk, "%"),
            "the disk that holds the data folder",
            gauge=_gauge(disk, "Disk space in use", False),
        ),
        Tile(
            "Model API quota left",
            fmt(quota, "%") if quota is not None else "not known",
            (
                f"alert below {settings.ALERT_MODEL_QUOTA_PERCENT}%"
                if quota is not None
                else "no model call has reported its limits yet"
            ),
            alarm=quota_low,
            gauge=_gauge(quota, "Model API quota left", quota_low),
        ),
        Tile(
            "Portfolios created / cleaned up",
            f"{fmt(get('total_created'))} / {fmt(get('total_cleaned'))}",
            "since the start (erased portfolios no longer count)",
        ),
        Tile(
            "Average portfolio lifetime",
            fmt(get("average_lifetime_hours"), "h"),
            "from publication to archiving",
        ),
    ]


# --- Scheduled jobs --------------------------------------------------------------


def schedule_text(job: ScheduledJob) -> str:
    at = f" at {job.at:%H:%M} UTC" if job.at else ""
    if job.schedule_type == MINUTES:
        return "every minute" if job.minutes == 1 else f"every {job.minutes} minutes"
    if job.schedule_type == HOURLY:
        return "every hour"
    if job.schedule_type == DAILY:
        return f"daily{at}"
    if job.schedule_type == WEEKLY:
        return f"weekly{at}"
    return job.schedule_type


def job_rows(now: datetime) -> list[JobRow]:
    """The last run of every registered job, and its next slot in django-q2."""
    next_runs = next_slots()
    rows = []
    for job in SCHEDULES:
        # One query per job on the (job, -started_at) index: about ten cheap
        # queries, where a "newest per group" query would read the whole table.
        last = JobRun.objects.filter(job=job.name).order_by("-started_at").first()
        due = next_runs.get(job.name)
        rows.append(
            JobRow(
                job=job,
                when=schedule_text(job),
                last=last,
                next_run=due,
                late=is_late(due, now),
                stats=stat_items(last.stats if last else {}),
            )
        )
    return rows


def stat_items(stats: dict, limit: int = 8) -> list[tuple[str, str]]:
    """A run's statistics as short label/value pairs."""
    items = []
    for key, value in list(stats.items())[:limit]:
        text = str(value)
        items.append((str(key).replace("_", " "), text if len(text) <= 60 else text[:57] + "…"))
    if len(stats) > limit:
        items.append(("…", f"{len(stats) - limit} more"))
    return items


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


# --- History ---------------------------------------------------------------------


def history_charts(range_key: str, now: datetime) -> list[charts.Chart]:
    """One chart per main metric over the range, from one query."""
    start = now - RANGES[parse_range(range_key)][1]
    fields = [spec.field for spec in CHARTS]
    rows = list(metrics.history(start).filter(taken_at__lte=now).values_list("taken_at", *fields))
    times = [row[0] for row in rows]
    columns = [
        [None if row[i] is None else row[i] * spec.scale for row in rows]
        for i, spec in enumerate(CHARTS, start=1)
    ]
    sampled = charts.downsample_columns(times, columns)
    return [
        charts.line_chart(
            points, title=spec.title, start=start, end=now, unit=spec.unit, y_max=spec.y_max
        )
        for spec, points in zip(CHARTS, sampled, strict=True)
    ]
