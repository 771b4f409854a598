"""Worker heartbeats: each django-q2 worker process records that it is alive."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import OperationalError, connection
from django.utils import timezone
from django_q.signals import post_spawn

from monitoring import heartbeat
from monitoring.models import WorkerHeartbeat
from tests.processes import child_env

REPO = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout: float = 30.0, step: float = 0.05):
    """Poll `predicate` until it is truthy or `timeout` passes (real threads and
    processes are waited for; the code under test is never slowed down)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


@pytest.fixture
def stop_heartbeat():
    yield
    thread = heartbeat._thread
    if thread is not None:
        thread.stop()
        thread.join(timeout=10)
        heartbeat._thread = None


@pytest.mark.django_db
def test_a_beat_records_this_process_once_and_moves_its_time():
    with time_machine.travel("2026-05-01 10:00:00+00:00", tick=False):
        heartbeat.beat()
    with time_machine.travel("2026-05-01 10:00:30+00:00", tick=False):
        heartbeat.beat()
        (row,) = WorkerHeartbeat.objects.all()
        assert row.name == heartbeat.process_name()
        assert row.name.endswith(f":{os.getpid()}")
        assert row.seen_at == timezone.now()
        assert heartbeat.age_seconds() == 0.0


@pytest.mark.django_db
def test_age_is_none_without_any_heartbeat_and_counts_from_the_newest():
    assert heartbeat.newest() is None
    assert heartbeat.age_seconds() is None
    now = timezone.now()
    WorkerHeartbeat.objects.create(name="a:1", seen_at=now - timedelta(seconds=300))
    WorkerHeartbeat.objects.create(name="b:2", seen_at=now - timedelta(seconds=45))
    assert heartbeat.newest() == now - timedelta(seconds=45)
    assert heartbeat.age_seconds(now) == 45.0


@pytest.mark.django_db
def test_rows_of_processes_gone_for_a_day_are_forgotten():
    now = timezone.now()
    WorkerHeartbeat.objects.create(name="gone:1", seen_at=now - timedelta(days=1, seconds=1))
    WorkerHeartbeat.objects.create(name="alive:2", seen_at=now - timedelta(hours=23))
    assert heartbeat.forget_old(now) == 1
    assert list(WorkerHeartbeat.objects.values_list("name", flat=True)) == ["alive:2"]


@pytest.mark.django_db
def test_a_failing_round_is_logged_and_the_next_one_records(monkeypatch, caplog):
    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    with monkeypatch.context() as m:
        m.setattr(WorkerHeartbeat.objects, "filter", locked)
        with caplog.at_level(logging.WARNING, logger="monitoring.heartbeat"):
            assert heartbeat.beat_once() is False
    assert "worker heartbeat not recorded" in caplog.text
    assert "database is locked" in caplog.text
    assert heartbeat.beat_once() is True
    assert WorkerHeartbeat.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_post_spawn_signal_starts_one_beating_thread_per_process(stop_heartbeat):
    post_spawn.send(sender="django_q", proc_name="Process-test")
    thread = heartbeat._thread
    assert thread is not None and thread.daemon
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(name=heartbeat.process_name()).exists())
    # A second spawn signal in the same process does not start another thread.
    post_spawn.send(sender="django_q", proc_name="Process-test")
    assert heartbeat._thread is thread
    thread.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_qcluster_worker_beats_and_readyz_sees_it(tmp_path, client):
    env = child_env() | {
        "DJANGO_SETTINGS_MODULE": "cv2web.settings",
        "DATABASE_URL": _database_url(),
        "DATA_DIR": str(tmp_path),
        "Q_WORKERS": "1",
        "LOG_LEVEL": "WARNING",
    }
    assert client.get("/readyz").json()["failing"] == ["worker"]
    log_file = tmp_path / "qcluster.log"
    with log_file.open("w") as out:
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        rows = wait_for(
            lambda: (
                list(WorkerHeartbeat.objects.values_list("name", flat=True))
                or cluster.poll() is not None
            ),
            timeout=120,
            step=0.1,
        )
        assert cluster.poll() is None, log_file.read_text()[-3000:]
        assert rows, "no heartbeat within 120 s"
        (name,) = rows
        host, pid = name.rsplit(":", 1)
        assert int(pid) not in (os.getpid(), cluster.pid)  # a worker, not the parent
        response = client.get("/readyz")
        assert response.status_code == 200, response.content
        assert response.json()["checks"]["worker"] == "ok"
    finally:
        # The whole group: the cluster's sentinel and workers too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=10)
