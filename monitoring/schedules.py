"""The one registry of scheduled jobs (SPEC M-4).

`manage.py setup_schedules` installs each as a django-q2 schedule; every
schedule calls `monitoring.tasks.run_job(name)`, which records the run
(monitoring.jobs). Each job is also a management command with `--dry-run`.
A job's `run` is a dotted path to a function `fn(dry_run: bool) -> dict`
that returns its statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django_q.models import Schedule

MINUTES, HOURLY, DAILY, WEEKLY = "I", "H", "D", "W"  # django_q Schedule types


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    run: str
    command: str
    schedule_type: str
    minutes: int | None = None
    # Daily and weekly jobs run at this time of day (UTC); django-q2 keeps the
    # time of day of next_run when it adds a day or a week, so no cron parser
    # is needed.
    at: time | None = None
    description: str = ""


SCHEDULES: tuple[ScheduledJob, ...] = (
    ScheduledJob(
        name="extraction queue watchdog",
        run="extraction.tasks.watchdog",
        command="extraction_watchdog",
        schedule_type=MINUTES,
        minutes=1,
        description="Requeue jobs whose worker died; hand waiting jobs to workers.",
    ),
    ScheduledJob(
        name="extraction model batches",
        run="extraction.tasks.model_batches",
        command="extraction_batches",
        schedule_type=MINUTES,
        minutes=1,
        description=(
            "Background mode: send waiting background jobs to the Message Batches API, "
            "poll open batches, keep their results, fall back what failed."
        ),
    ),
    ScheduledJob(
        name="webhook deliveries",
        run="webhooks.tasks.deliver_due",
        command="deliver_webhooks",
        schedule_type=MINUTES,
        minutes=1,
        description="Hand due webhook retries to workers; delete old finished deliveries.",
    ),
    ScheduledJob(
        name="portfolio lifecycle scan",
        run="portfolios.tasks.lifecycle_scan",
        command="lifecycle_scan",
        schedule_type=MINUTES,
        minutes=settings.LIFECYCLE_SCAN_MINUTES,
        description="Move portfolios between states, warn, archive, drain the waiting list.",
    ),
    ScheduledJob(
        name="metrics sample and alert check",
        run="monitoring.tasks.sample_and_check",
        command="sample_metrics",
        schedule_type=MINUTES,
        minutes=settings.METRICS_SAMPLE_MINUTES,
        description="Record the metrics; open and resolve alerts.",
    ),
    ScheduledJob(
        name="expired extraction cache entries",
        run="extraction.tasks.purge_cache",
        command="purge_cache",
        schedule_type=DAILY,
        at=time(1, 0),
        description="Delete extraction results past their cache lifetime.",
    ),
    ScheduledJob(
        name="audit log retention",
        run="monitoring.retention.purge_audit_log",
        command="purge_audit_log",
        schedule_type=DAILY,
        at=time(1, 30),
        description="Delete audit rows older than their category's retention.",
    ),
    ScheduledJob(
        name="history retention",
        run="monitoring.retention.purge_history",
        command="purge_history",
        schedule_type=DAILY,
        at=time(1, 45),
        description=(
            "Delete old metric samples, job runs, resolved alerts and django-q2's own task records."
        ),
    ),
    ScheduledJob(
        name="inactive sessions",
        run="monitoring.retention.purge_sessions",
        command="purge_sessions",
        schedule_type=DAILY,
        at=time(3, 0),
        description="Delete sessions inactive for SESSION_RETENTION_DAYS.",
    ),
    ScheduledJob(
        name="orphaned files",
        run="monitoring.retention.purge_files",
        command="purge_files",
        schedule_type=HOURLY,
        description="Delete upload files no row refers to and stale temporary files.",
    ),
    ScheduledJob(
        name="database backup",
        run="monitoring.backups.backup",
        command="backup_db",
        schedule_type=DAILY,
        at=time(2, 0),
        description="Back up the database into BACKUP_DIR; keep BACKUP_KEEP.",
    ),
    ScheduledJob(
        name="database maintenance",
        run="monitoring.maintenance.run",
        command="db_maintenance",
        schedule_type=WEEKLY,
        at=time(4, 0),
        description="SQLite VACUUM and ANALYZE; PostgreSQL ANALYZE.",
    ),
)

BY_NAME = {job.name: job for job in SCHEDULES}


def next_slots() -> dict[str, datetime]:
    """Each installed job's next slot in django-q2, by job name."""
    return dict(Schedule.objects.filter(name__in=list(BY_NAME)).values_list("name", "next_run"))


def is_late(due: datetime | None, now: datetime) -> bool:
    """A slot more than ALERT_JOB_LATE_MINUTES past: no worker took it up."""
    return due is not None and due < now - timedelta(minutes=settings.ALERT_JOB_LATE_MINUTES)
