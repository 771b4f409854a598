"""Every scheduled run is recorded, failures alert, and a job never runs twice
at once (SPEC M-3, M-4)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.utils import timezone
from django_q.models import Schedule

from monitoring import alerts, jobs, schedules
from monitoring.models import Alert, JobRun, WorkerHeartbeat
from monitoring.schedules import SCHEDULES, ScheduledJob

pytestmark = pytest.mark.django_db

CALLS: list[bool] = []


def flaky(dry_run: bool = False) -> dict:
    CALLS.append(dry_run)
    if len(CALLS) == 1:
        raise RuntimeError("disk on fire")
    return {"done": len(CALLS)}


def reentrant(dry_run: bool = False) -> dict:
    # The job starts itself again while it runs: the inner start must not run.
    inner = jobs.run("test job")
    return {"inner": inner.outcome}


@pytest.fixture
def test_job(monkeypatch, settings):
    CALLS.clear()
    settings.ADMINS = [("Staff", "staff@example.com")]
    job = ScheduledJob(
        name="test job",
        run=f"{__name__}.flaky",
        command="test_job",
        schedule_type=schedules.MINUTES,
        minutes=5,
        description="A job for tests.",
    )
    monkeypatch.setattr(schedules, "SCHEDULES", (*SCHEDULES, job))
    monkeypatch.setitem(schedules.BY_NAME, job.name, job)
    # A live worker, so only the job's own alert is in play.
    WorkerHeartbeat.objects.create(name="test:1")
    return job


def test_a_successful_run_is_recorded_with_its_statistics(test_job):
    CALLS.append(False)  # skip the failing first call
    record = jobs.run("test job")
    record.refresh_from_db()
    assert record.outcome == "succeeded"
    assert record.stats == {"done": 2}
    assert record.finished_at >= record.started_at
    assert record.host


def test_a_job_that_raises_is_recorded_as_failed_alerts_and_runs_again(test_job):
    with pytest.raises(RuntimeError):
        jobs.run("test job")
    failed = JobRun.objects.get()
    assert failed.outcome == "failed" and "disk on fire" in failed.error
    alert = Alert.objects.open().get(key="job:test_job")
    assert "failed" in alert.message and "disk on fire" in alert.message
    assert len(mail.outbox) == 1

    # The next run still happens, succeeds and resolves the alert.
    assert jobs.run("test job").outcome == "succeeded"
    alerts.evaluate()
    assert not Alert.objects.open().filter(key="job:test_job").exists()


def run_queued_tasks() -> int:
    """Hand every task waiting in the ORM broker to django-q2's own worker loop."""
    from multiprocessing import Queue, Value

    from django_q.brokers import get_broker
    from django_q.monitor import monitor
    from django_q.signing import SignedPackage
    from django_q.worker import worker

    broker = get_broker()
    ran = 0
    while batch := broker.dequeue():
        for ack_id, payload in batch:
            tasks, results = Queue(), Queue()
            tasks.put(SignedPackage.loads(payload))
            tasks.put("STOP")
            worker(tasks, results, Value("f", -1))
            results.put("STOP")
            monitor(results, broker)
            broker.acknowledge(ack_id)
            ran += 1
    return ran


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_keeps_the_schedule_after_a_failing_run(test_job):
    """Through django-q2 itself: the failing task is recorded, the next slot runs."""
    from django_q.models import Task
    from django_q.scheduler import scheduler

    Schedule.objects.create(
        name="test job",
        func="monitoring.tasks.run_job",
        args=repr("test job"),
        schedule_type=Schedule.MINUTES,
        minutes=5,
        repeats=-1,
        next_run=timezone.now() - timedelta(seconds=1),
    )
    scheduler()
    assert run_queued_tasks() == 1
    assert list(JobRun.objects.values_list("outcome", flat=True)) == ["failed"]
    assert Task.objects.get().success is False
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        scheduler()
        assert run_queued_tasks() == 1
    assert sorted(JobRun.objects.values_list("outcome", flat=True)) == ["failed", "succeeded"]
    assert Schedule.objects.get(name="test job").repeats == -1


def test_a_job_still_running_is_not_started_twice(test_job, monkeypatch):
    job = ScheduledJob(**{**test_job.__dict__, "run": f"{__name__}.reentrant"})
    monkeypatch.setitem(schedules.BY_NAME, job.name, job)
    outer = jobs.run("test job")
    outer.refresh_from_db()
    assert outer.outcome == "succeeded"
    assert outer.stats == {"inner": "skipped"}
    skipped = JobRun.objects.get(outcome="skipped")
    assert "still running" in skipped.stats["reason"]


def test_a_run_left_running_by_a_dead_worker_does_not_block_the_job_for_ever(test_job):
    CALLS.append(False)
    JobRun.objects.create(
        job="test job", started_at=timezone.now() - jobs.stale_after() - timedelta(seconds=1)
    )
    assert jobs.run("test job").outcome == "succeeded"
    dead = JobRun.objects.get(outcome="failed")
    assert "did not finish" in dead.error


def test_a_late_schedule_opens_an_alert(test_job, settings):
    Schedule.objects.create(
        name="test job",
        func="monitoring.tasks.run_job",
        args=repr("test job"),
        schedule_type=Schedule.MINUTES,
        minutes=5,
        next_run=timezone.now() - timedelta(minutes=settings.ALERT_JOB_LATE_MINUTES + 1),
    )
    alerts.evaluate()
    alert = Alert.objects.open().get(key="job:test_job")
    assert "late" in alert.message
    Schedule.objects.filter(name="test job").update(next_run=timezone.now())
    alerts.evaluate()
    assert not Alert.objects.open().filter(key="job:test_job").exists()


def test_a_stopped_worker_opens_the_worker_alert(settings):
    settings.ADMINS = [("Staff", "staff@example.com")]
    beat = WorkerHeartbeat.objects.create(name="w:1")
    alerts.evaluate()
    assert not Alert.objects.open().filter(key="worker").exists()
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE_S + 5)
    ):
        alerts.evaluate()
        assert Alert.objects.open().filter(key="worker").exists()
        WorkerHeartbeat.objects.filter(pk=beat.pk).update(seen_at=timezone.now())
        alerts.evaluate()
    assert not Alert.objects.open().filter(key="worker").exists()


def test_each_run_logs_one_structured_event(test_job, caplog):
    CALLS.append(False)
    with caplog.at_level(logging.INFO, logger="cv2web.jobs"):
        jobs.run("test job")
    events = [r for r in caplog.records if r.name == "cv2web.jobs"]
    assert len(events) == 1
    event = events[0]
    assert event.job == "test job" and event.outcome == "succeeded"
    assert event.stats == {"done": 2} and event.duration_ms >= 0
    json.dumps(event.stats)


def test_a_dry_run_is_recorded_as_such_and_does_not_hold_the_slot(test_job):
    CALLS.append(False)
    JobRun.objects.create(job="test job")  # a real run in progress
    record = jobs.run("test job", dry_run=True)
    assert record.outcome == "succeeded" and record.dry_run
    assert CALLS[-1] is True


def test_every_scheduled_job_has_its_command_with_a_dry_run():
    commands = get_commands()
    for job in SCHEDULES:
        assert commands.get(job.command) == "monitoring", job.command
        from importlib import import_module

        command = import_module(f"monitoring.management.commands.{job.command}").Command
        assert command.job == job.name


@pytest.mark.parametrize(
    "command",
    [
        "extraction_watchdog",
        "lifecycle_scan",
        "sample_metrics",
        "purge_cache",
        "purge_audit_log",
        "purge_history",
        "purge_sessions",
        "purge_files",
        "db_maintenance",
        "backup_db",
    ],
)
def test_each_job_command_dry_run_prints_statistics_and_records_a_dry_run(command, capsys):
    call_command(command, "--dry-run")
    out = capsys.readouterr().out
    assert "(dry run):" in out
    assert JobRun.objects.get().dry_run


def test_a_failing_command_says_why_without_a_traceback(test_job):
    with pytest.raises(CommandError, match="disk on fire"):
        _run_test_command()


def _run_test_command():
    from monitoring.management.jobcommand import JobCommand

    class Command(JobCommand):
        job = "test job"

    call_command(Command())
