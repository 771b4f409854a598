"""Real worker processes against a real PostgreSQL database and a fake model.

These start `manage.py qcluster` processes, so they use a PostgreSQL database
of their own (created and dropped here) whatever the suite runs on: SQLite's
single writer would not show what these tests look for.
"""

from __future__ import annotations

import time
import uuid

import pytest

from tests.fakes import fake_anthropic as fa
from tests.processes import PG, Site, pg_admin_conn

pytestmark = pytest.mark.slow


@pytest.fixture
def pg_url():
    name = f"cv2web_proc_{uuid.uuid4().hex[:10]}"
    with pg_admin_conn() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG}/{name}"
    with pg_admin_conn() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


ENQUEUE = """
from django.core.files.uploadedfile import SimpleUploadedFile
from extraction import intake
for i in range({n}):
    text = f"Candidate {{i}}\\nCANDIDATE-ID-{{i:03d}}\\ncandidate{{i}}@example.com\\n"
    intake.accept(SimpleUploadedFile(f"cv{{i}}.txt", text.encode()), via="api")
print("ok")
"""


def test_two_clusters_run_twenty_jobs_five_at_a_time_each_exactly_once(pg_url, tmp_path):
    with fa.FakeAnthropic(default=fa.ok(delay=1.0)) as model:
        site = Site(pg_url, tmp_path, model.url, Q_WORKERS="4", EXTRACTION_MAX_CONCURRENT="5")
        try:
            site.manage("migrate", "-v", "0")
            site.manage("shell", "-c", ENQUEUE.format(n=20))
            site.start_cluster()
            site.start_cluster()
            most_running, deadline = 0, time.monotonic() + 120
            while time.monotonic() < deadline:
                ((running, done),) = site.query(
                    "SELECT count(*) FILTER (WHERE state='running'),"
                    " count(*) FILTER (WHERE state IN ('succeeded','failed','cancelled'))"
                    " FROM extraction_extractionjob"
                )
                most_running = max(most_running, running)
                if done == 20:
                    break
                time.sleep(0.05)
        finally:
            site.stop_all()
        rows = site.query("SELECT state, attempts, extractor_used FROM extraction_extractionjob")
        assert len(rows) == 20
        assert {r[0] for r in rows} == {"succeeded"}, rows
        assert {r[1] for r in rows} == {1}
        assert {r[2] for r in rows} == {"claude"}
        assert model.max_in_flight <= 5, model.max_in_flight
        assert most_running <= 5
        assert model.max_in_flight >= 4  # the limit was reached, not merely respected
        assert model.calls == 20
        texts = [model._user_text(r) for r in model.requests]
        for i in range(20):
            assert sum(f"CANDIDATE-ID-{i:03d}" in t for t in texts) == 1


def test_a_job_whose_worker_is_killed_is_requeued_and_finished_once(pg_url, tmp_path):
    # The first model call hangs until the worker is killed; later calls answer.
    with fa.FakeAnthropic(fa.slow(60), default=fa.ok()) as model:
        site = Site(
            pg_url,
            tmp_path,
            model.url,
            Q_WORKERS="1",
            EXTRACTION_TIMEOUT_S="5",
            EXTRACTION_LEASE_S="6",
            EXTRACTION_RETRY_BACKOFF_S="0",
        )
        try:
            site.manage("migrate", "-v", "0")
            site.manage("shell", "-c", ENQUEUE.format(n=1))
            first = site.start_cluster()
            deadline = time.monotonic() + 60
            while model.calls < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert model.calls == 1
            site.kill(first)
            ((state,),) = site.query("SELECT state FROM extraction_extractionjob")
            assert state == ("running",)[0]
            time.sleep(6.5)  # the lease runs out: real processes, real clock
            assert "requeued=1" in site.manage("extraction_watchdog")
            site.start_cluster()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                ((state, attempts),) = site.query(
                    "SELECT state, attempts FROM extraction_extractionjob"
                )
                if state == "succeeded":
                    break
                time.sleep(0.1)
        finally:
            site.stop_all()
        assert (state, attempts) == ("succeeded", 2)
        ((finished,),) = site.query(
            "SELECT count(*) FROM monitoring_auditlog WHERE action='extraction.succeeded'"
        )
        assert finished == 1
        assert model.calls == 2
