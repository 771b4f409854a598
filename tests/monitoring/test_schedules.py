"""Scheduled jobs are declared once and installed idempotently."""

from datetime import UTC

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from monitoring.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def test_setup_schedules_installs_each_job_once_however_often_it_runs():
    call_command("setup_schedules")
    call_command("setup_schedules")
    assert Schedule.objects.count() == len(SCHEDULES)
    assert len({s.name for s in SCHEDULES}) == len(SCHEDULES)
    watchdog = Schedule.objects.get(name="extraction queue watchdog")
    assert watchdog.schedule_type == Schedule.MINUTES and watchdog.minutes == 1
    assert watchdog.func == "monitoring.tasks.run_job"
    assert watchdog.args == repr("extraction queue watchdog")


def test_every_scheduled_function_exists_and_takes_dry_run():
    import inspect

    from django.utils.module_loading import import_string

    for job in SCHEDULES:
        func = import_string(job.run)
        assert "dry_run" in inspect.signature(func).parameters, job.run


def test_timed_jobs_first_run_at_their_time_of_day_and_keep_it():
    from datetime import datetime

    import time_machine

    with time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)):
        call_command("setup_schedules")
    backup = Schedule.objects.get(name="database backup")
    assert backup.schedule_type == Schedule.DAILY
    assert backup.next_run == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    sessions = Schedule.objects.get(name="inactive sessions")
    assert (sessions.next_run.hour, sessions.next_run.minute) == (3, 0)
    weekly = Schedule.objects.get(name="database maintenance")
    assert weekly.schedule_type == Schedule.WEEKLY
    # Running it again does not move a slot that is already right.
    call_command("setup_schedules")
    assert Schedule.objects.get(name="database backup").next_run == backup.next_run


def test_schedules_no_longer_declared_are_removed():
    Schedule.objects.create(name="alert check", func="monitoring.tasks.check_alerts")
    Schedule.objects.create(name="someone else's", func="othersystem.tasks.x")
    call_command("setup_schedules")
    assert not Schedule.objects.filter(name="alert check").exists()
    assert Schedule.objects.filter(name="someone else's").exists()


def test_the_watchdog_and_cache_purge_run_as_tasks():
    from datetime import timedelta

    from django.utils import timezone

    from extraction import tasks
    from extraction.models import CacheEntry
    from monitoring.models import AuditLog

    CacheEntry.store(
        sha256="a" * 64,
        fingerprint="f",
        extractor="local",
        model="",
        result={},
        warnings=[],
        size_bytes=1,
    )
    CacheEntry.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.purge_cache(dry_run=True) == {"would_delete": 1}
    stats = tasks.purge_cache()
    assert {k: stats[k] for k in ("deleted", "batches")} == {"deleted": 1, "batches": 1}
    assert AuditLog.objects.get(action="retention.extraction_cache").details["deleted"] == 1
    assert tasks.watchdog() == {"requeued": 0, "failed": 0, "dispatched": 0}
