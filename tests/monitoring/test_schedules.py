"""Scheduled jobs are declared once and installed idempotently."""

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
    watchdog = Schedule.objects.get(func="extraction.tasks.watchdog")
    assert watchdog.schedule_type == Schedule.MINUTES and watchdog.minutes == 1


def test_every_scheduled_function_exists():
    from django.utils.module_loading import import_string

    for job in SCHEDULES:
        assert callable(import_string(job.func))


def test_the_watchdog_and_cache_purge_run_as_tasks():
    from datetime import timedelta

    from django.utils import timezone

    from extraction import tasks
    from extraction.models import CacheEntry

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
    assert tasks.purge_cache() == {"deleted": 1}
    assert tasks.watchdog() == {"requeued": 0, "failed": 0, "dispatched": 0}
