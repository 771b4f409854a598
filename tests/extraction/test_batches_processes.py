"""A model-batch run killed while it downloads the results (kill -9, a real
process): no job is lost, none is answered twice; the next run, in another
process, keeps every result from the batch id stored in the database.

The model is the loopback fake (tests/fakes/fake_anthropic.py); the database a
SQLite file of the site's own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO
from tests.fakes import fake_anthropic as fa
from tests.processes import Site

pytestmark = pytest.mark.slow

ENQUEUE = """
from django.core.files.uploadedfile import SimpleUploadedFile
from extraction import intake
for n in range(3):
    text = f"Person {n}\\nperson{n}@example.com\\nEngineer at Company{n}, 2019-2021\\n"
    intake.accept(SimpleUploadedFile(f"cv{n}.txt", text.encode()), via="api", mode="background")
"""

RUN = "from extraction import batches; print(batches.run())"


def wait_for(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(step)
    return predicate()


def test_a_batch_run_killed_mid_results_loses_no_job(tmp_path):
    data = tmp_path / "data"
    with fa.FakeAnthropic() as model:
        model.hang_results = 1
        site = Site(
            f"sqlite:///{data / 'cv2web.sqlite3'}",
            data,
            model.url,
            EXTRACTION_BATCH_MAX_AGE_S="0",
        )
        site.manage("migrate", "-v", "0")
        site.manage("shell", "-c", ENQUEUE)
        # The scheduled job's command sends the batch and stores its id.
        assert "batches_sent=1" in site.manage("extraction_batches")
        ((provider_id, state),) = site.query("SELECT provider_id, state FROM extraction_modelbatch")
        assert (provider_id, state) == (model.batches_created[0], "in_progress")

        run = subprocess.Popen(
            [sys.executable, "manage.py", "extraction_batches"],
            cwd=REPO,
            env=site.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            assert wait_for(lambda: model.results_requests >= 1, timeout=60), "never polled"
        finally:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=10)
        assert site.query(
            "SELECT state, batch_state, count(*) FROM extraction_extractionjob "
            "GROUP BY state, batch_state"
        ) == [("running", "submitted", 3)]

        # The next run (here called directly: the killed run's record stays
        # "running" until django-q2's retry time has passed) picks it up.
        site.manage("shell", "-c", RUN)

    rows = site.query("SELECT state, batch_state, cost_usd FROM extraction_extractionjob")
    assert [(s, b) for s, b, _ in rows] == [("succeeded", "done")] * 3
    assert {round(float(c), 6) for _, _, c in rows} == {round((1200 * 3 + 800 * 15) / 2e6, 6)}
    assert len(model.batch_items) == 3 and len(model.batches_created) == 1
    assert model.calls == 0
    ((kept,),) = site.query(
        "SELECT count(*) FROM monitoring_auditlog WHERE action = 'extraction.succeeded'"
    )
    assert kept == 3
