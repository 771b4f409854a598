"""Running a scheduled job: every run recorded (SPEC M-4), never two at once.

`run(name)` is what the django-q2 schedule, the management command and the
admin's "run now" all call. It writes a JobRun (start, end, outcome,
statistics), logs one structured event, and refuses to start a job that is
still running elsewhere: the JobRun table's partial unique constraint
allows one running run per job, whatever the number of workers or machines.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from . import alerts
from .models import JobRun
from .schedules import BY_NAME

log = logging.getLogger("cv2web.jobs")

RunOutcome = JobRun.RunOutcome


class UnknownJob(LookupError):
    pass


def stale_after() -> timedelta:
    """A run still "running" after this long was killed with its worker.

    django-q2 stops a task at its timeout and would hand it out again only
    after `retry`; past that, no live process can still be running it.
    """
    return timedelta(seconds=settings.Q_CLUSTER["retry"])


def _host() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def abandon_stale(name: str, now=None) -> int:
    """Close runs of `name` whose process died mid-run, as failed."""
    now = now or timezone.now()
    return JobRun.objects.filter(
        job=name, outcome=RunOutcome.RUNNING, started_at__lt=now - stale_after()
    ).update(
        outcome=RunOutcome.FAILED,
        finished_at=now,
        error="The run did not finish: its process stopped or timed out.",
    )


def run(name: str, *, dry_run: bool = False, raise_errors: bool = True) -> JobRun:
    """Run the registered job `name` once and record it; returns the JobRun."""
    try:
        job = BY_NAME[name]
    except KeyError:
        raise UnknownJob(f"There is no scheduled job named {name!r}.") from None
    func = import_string(job.run)
    abandon_stale(name)
    try:
        with transaction.atomic():
            record = JobRun.objects.create(job=name, dry_run=dry_run, host=_host())
    except IntegrityError:
        # The previous run is still going: this slot is skipped, not run twice.
        record = JobRun.objects.create(
            job=name,
            dry_run=dry_run,
            host=_host(),
            outcome=RunOutcome.SKIPPED,
            finished_at=timezone.now(),
            stats={"reason": "the previous run is still running"},
        )
        _log_event(record, 0.0)
        return record

    started = time.perf_counter()
    try:
        stats = func(dry_run=dry_run) or {}
    except BaseException as exc:  # noqa: BLE001 - a timeout is a SystemExit: record it too
        _finish(record, RunOutcome.FAILED, {}, error=f"{type(exc).__name__}: {exc}"[:2000])
        _log_event(record, time.perf_counter() - started, exc_info=True)
        if not dry_run:
            _after_failure()
        if raise_errors or not isinstance(exc, Exception):
            raise
        return record
    _finish(record, RunOutcome.SUCCEEDED, _jsonable(stats))
    _log_event(record, time.perf_counter() - started)
    return record


def _finish(record: JobRun, outcome: str, stats: dict, error: str = "") -> None:
    record.outcome = outcome
    record.finished_at = timezone.now()
    record.stats = stats
    record.error = error
    JobRun.objects.filter(pk=record.pk).update(
        outcome=outcome, finished_at=record.finished_at, stats=stats, error=error
    )


def _jsonable(stats: dict) -> dict:
    out = {}
    for key, value in stats.items():
        if isinstance(value, (int, float, str, bool)) or value is None:
            out[str(key)] = value
        elif isinstance(value, dict):
            out[str(key)] = _jsonable(value)
        elif isinstance(value, (list, tuple)):
            out[str(key)] = [v if isinstance(v, (int, float, str, bool)) else str(v) for v in value]
        else:
            out[str(key)] = str(value)
    return out


def _log_event(record: JobRun, seconds: float, exc_info: bool = False) -> None:
    """One structured event per run (SPEC M-6)."""
    level = logging.ERROR if record.outcome == RunOutcome.FAILED else logging.INFO
    log.log(
        level,
        "job %s %s",
        record.job,
        record.outcome,
        exc_info=exc_info,
        extra={
            "job": record.job,
            "outcome": record.outcome,
            "dry_run": record.dry_run,
            "stats": record.stats,
            "duration_ms": round(seconds * 1000, 1),
            "error": record.error,
        },
    )


def _after_failure() -> None:
    """Open the "job failed" alert now rather than at the next alert check."""
    try:
        alerts.evaluate(alerts.job_readings())
    except Exception:  # noqa: BLE001 - the failure is recorded; the alert check will retry
        log.exception("could not evaluate job alerts after a failure")
