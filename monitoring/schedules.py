"""The one registry of scheduled jobs (SPEC M-4), installed by `setup_schedules`."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    func: str
    schedule_type: str  # django_q Schedule.MINUTES, HOURLY, DAILY, WEEKLY, CRON
    minutes: int | None = None
    cron: str | None = None


SCHEDULES: tuple[ScheduledJob, ...] = (
    ScheduledJob(
        name="alert check",
        func="monitoring.tasks.check_alerts",
        schedule_type="I",
        minutes=settings.ALERT_CHECK_MINUTES,
    ),
    ScheduledJob(
        name="portfolio lifecycle scan",
        func="portfolios.tasks.lifecycle_scan",
        schedule_type="I",
        minutes=settings.LIFECYCLE_SCAN_MINUTES,
    ),
    ScheduledJob(
        name="extraction queue watchdog",
        func="extraction.tasks.watchdog",
        schedule_type="I",
        minutes=1,
    ),
    ScheduledJob(
        name="expired extraction cache entries",
        func="extraction.tasks.purge_cache",
        schedule_type="D",
    ),
)
