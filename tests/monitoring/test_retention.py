"""Retention jobs keep data exactly as long as the policy says (SPEC M-1, M-4)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from monitoring import audit, retention
from monitoring.models import Alert, AuditLog, JobRun, MetricSample
from tests.processes import child_env, manage

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
DAY = timedelta(days=1)


def write_rows(category: str, n: int = 1) -> None:
    for _ in range(n):
        audit.record(f"test.{category}", category=category)


def remaining(category: str) -> int:
    return AuditLog.objects.filter(category=category, action=f"test.{category}").count()


@pytest.mark.parametrize(
    ("category", "days"),
    [("security", 365), ("activity", 90), ("system", 30)],
)
def test_audit_rows_are_kept_exactly_as_long_as_their_category_says(category, days):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        write_rows(category, 3)
    # One second before the end of the retention: kept.
    with time_machine.travel(start + days * DAY - timedelta(seconds=1), tick=False):
        stats = retention.purge_audit_log()
        assert stats[category] == 0 and remaining(category) == 3
    # One second after: gone, and the statistics say how many.
    with time_machine.travel(start + days * DAY + timedelta(seconds=1), tick=False):
        stats = retention.purge_audit_log()
    assert stats[category] == 3
    assert stats["deleted"] == 3
    assert remaining(category) == 0


def test_each_category_has_its_own_clock():
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for category in ("security", "activity", "system"):
            write_rows(category, 2)

    def left_after(days: int) -> tuple[int, int, int]:
        with time_machine.travel(start + days * DAY, tick=False):
            retention.purge_audit_log()
        return remaining("security"), remaining("activity"), remaining("system")

    assert left_after(29) == (2, 2, 2)
    assert left_after(31) == (2, 2, 0)
    assert left_after(91) == (2, 0, 0)
    assert left_after(366) == (0, 0, 0)


def test_audit_log_retention_days_sets_the_activity_category(settings):
    settings.AUDIT_LOG_RETENTION_DAYS = 45
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        write_rows("activity", 1)
    with time_machine.travel(start + 46 * DAY, tick=False):
        assert retention.purge_audit_log()["activity"] == 1


def test_deletion_runs_in_bounded_batches(settings):
    settings.RETENTION_BATCH_SIZE = 4
    old = timezone.now() - 400 * DAY
    AuditLog.objects.bulk_create(
        [AuditLog(action="test.bulk", category="system", created_at=old) for _ in range(10)]
    )
    stats = retention.purge_audit_log()
    assert stats["system"] == 10
    assert stats["batches"] == 3  # 4 + 4 + 2
    assert stats["longest_batch_ms"] >= 0


def test_a_retention_run_is_itself_audited_and_a_dry_run_deletes_nothing():
    old = timezone.now() - 400 * DAY
    AuditLog.objects.bulk_create(
        [AuditLog(action="test.old", category="security", created_at=old) for _ in range(2)]
    )
    assert retention.purge_audit_log(dry_run=True)["would_delete"] == 2
    assert AuditLog.objects.filter(action="test.old").count() == 2
    retention.purge_audit_log()
    entry = AuditLog.objects.get(action="retention.audit_log")
    assert entry.category == "system" and entry.details["security"] == 2


def test_the_command_prints_its_statistics(capsys):
    AuditLog.objects.bulk_create(
        [AuditLog(action="x", category="system", created_at=timezone.now() - 40 * DAY)]
    )
    call_command("purge_audit_log", "--dry-run")
    assert "would_delete=1" in capsys.readouterr().out
    call_command("purge_audit_log")
    out = capsys.readouterr().out
    assert "system=1" in out and "deleted=1" in out


@pytest.mark.parametrize("value", ["10", "400", "29", "366"])
def test_start_up_is_refused_outside_30_to_365_days(value):
    proc = manage("check", env={"AUDIT_LOG_RETENTION_DAYS": value})
    assert proc.returncode != 0
    assert "AUDIT_LOG_RETENTION_DAYS must be between 30 and 365" in proc.stderr


def test_start_up_accepts_the_bounds():
    env = child_env({"AUDIT_LOG_RETENTION_DAYS": "30"}, drop=())
    proc = subprocess.run(
        [sys.executable, "-c", "import cv2web.settings as s; print(s.AUDIT_LOG_RETENTION_DAYS)"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "30"


def new_session(age: timedelta) -> str:
    with time_machine.travel(timezone.now() - age, tick=False):
        store = SessionStore()
        store["n"] = 1
        store.create()
        return store.session_key


def test_sessions_inactive_for_seven_days_are_removed():
    stale = new_session(7 * DAY + timedelta(minutes=1))
    fresh = new_session(7 * DAY - timedelta(minutes=1))
    stats = retention.purge_sessions()
    assert stats["deleted"] == 1
    assert set(Session.objects.values_list("session_key", flat=True)) == {fresh}
    assert stale != fresh


def test_files_orphaned_for_30_days_and_temporary_files_older_than_a_day_go(settings, tmp_path):
    from extraction.models import Document
    from portfolios.models import Portfolio, State

    settings.TMP_DIR = tmp_path / "tmp"
    settings.TMP_DIR.mkdir()
    upload_dir = Path(settings.UPLOAD_DIR)

    def make(path: Path, age: timedelta) -> Path:
        path.write_bytes(b"x" * 10)
        stamp = (timezone.now() - age).timestamp()
        os.utime(path, (stamp, stamp))
        return path

    owned = make(upload_dir / "owned.bin", 40 * DAY)
    Document.objects.create(sha256="a" * 64, kind="txt", size=10, storage_name="owned.bin")
    orphan_old = make(upload_dir / "orphan-old.bin", 31 * DAY)
    orphan_young = make(upload_dir / "orphan-young.bin", 29 * DAY)
    tmp_old = make(settings.TMP_DIR / "upload-old", timedelta(hours=25))
    tmp_young = make(settings.TMP_DIR / "upload-young", timedelta(hours=23))

    settings.SANDBOX_DIR = tmp_path / "sandboxes"
    settings.SANDBOX_DIR.mkdir()
    live = Portfolio.objects.create(
        slug="live",
        resume={},
        theme="classic",
        state=State.ACTIVE,
        retention_hours=24,
        warn_at=timezone.now(),
        manage_token_hash="x",
    )
    archived = Portfolio.objects.create(
        slug="gone",
        resume={},
        theme="classic",
        state=State.ARCHIVED,
        retention_hours=24,
        warn_at=timezone.now(),
        manage_token_hash="y",
    )

    def folder(name: str, age: timedelta) -> Path:
        path = settings.SANDBOX_DIR / name
        path.mkdir()
        (path / "index.html").write_text("<p>Jane Roe</p>")
        stamp = (timezone.now() - age).timestamp()
        os.utime(path, (stamp, stamp))
        return path

    live_box = folder(str(live.pk), timedelta(hours=2))
    # An erased person's site left behind by a race, an archived one's, a
    # staging folder of a crashed build: none has a live row.
    erased_box = folder(str(uuid.uuid4()), timedelta(hours=2))
    archived_box = folder(str(archived.pk), timedelta(hours=2))
    staging = folder(f".{uuid.uuid4()}-abc123", timedelta(hours=2))
    building = folder(f".{uuid.uuid4()}-def456", timedelta(seconds=5))

    assert retention.purge_files(dry_run=True) == {
        "would_delete_uploads": 1,
        "would_delete_tmp": 1,
        "would_delete_sandboxes": 3,
    }
    assert orphan_old.exists() and tmp_old.exists() and erased_box.exists()
    stats = retention.purge_files()
    assert stats == {"uploads": 1, "tmp": 1, "bytes": 20, "sandboxes": 3}
    assert not orphan_old.exists() and not tmp_old.exists()
    assert owned.exists() and orphan_young.exists() and tmp_young.exists()
    assert not erased_box.exists() and not archived_box.exists() and not staging.exists()
    assert live_box.exists() and building.exists()


def test_history_retention_prunes_samples_runs_alerts_and_task_records(settings):
    from django_q.models import Task

    now = timezone.now()
    MetricSample.objects.create(taken_at=now - 91 * DAY)
    MetricSample.objects.create(taken_at=now - 89 * DAY)
    JobRun.objects.create(job="orphaned files", started_at=now - 31 * DAY, outcome="succeeded")
    JobRun.objects.create(job="orphaned files", started_at=now - 29 * DAY, outcome="failed")
    Alert.objects.create(
        key="memory", message="m", opened_at=now - 100 * DAY, resolved_at=now - 91 * DAY
    )
    Alert.objects.create(key="memory", message="m", opened_at=now - 100 * DAY)  # still open
    for i, (age, ok) in enumerate([(8 * DAY, True), (8 * DAY, False), (6 * DAY, False)]):
        Task.objects.create(
            id=f"{i:032x}",
            name=f"t{i}",
            func="x",
            started=now - age,
            stopped=now - age,
            success=ok,
        )
    stats = retention.purge_history()
    assert stats["metric_samples"] == 1
    assert stats["job_runs"] == 1
    assert stats["alerts"] == 1
    assert stats["task_records"] == 2  # a success and a failure, both 8 days old
    assert MetricSample.objects.count() == 1
    assert Alert.objects.open().count() == 1
    assert Task.objects.count() == 1
