"""A worker killed mid-job (issue 10, item 17): the job is finished by another
worker soon after its lease runs out, and the decrypted copy of the CV the dead
worker left in DATA_DIR/tmp is gone.

The processes are real (`manage.py qcluster`, kill -9 of the worker process
that holds the job) and so is the clock. The database follows the suite's: a
SQLite file inside DATA_DIR, or, when the suite runs on PostgreSQL
(DATABASE_URL), a database of its own on that server, created and dropped here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import REPO
from tests.fakes import fake_anthropic as fa
from tests.processes import Site

pytestmark = pytest.mark.slow

LEASE_S, BACKOFF_S = 6, 1
# What the issue allows between the kill and the job's success.
RECOVERY_BOUND_S = LEASE_S + BACKOFF_S + 15

ENQUEUE_ONE = """
from django.core.files.uploadedfile import SimpleUploadedFile
from extraction import intake
text = "Grace Hopper\\n{marker}\\ngrace@example.com\\nCompiler engineer, 1952-1960\\n"
intake.accept(SimpleUploadedFile("cv.txt", text.encode()), via="api")
"""


@pytest.fixture
def site_db(tmp_path):
    """A database URL for the processes under test, of the suite's kind."""
    suite_url = os.environ.get("DATABASE_URL", "")
    if not suite_url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'data' / 'cv2web.sqlite3'}"
        return
    psycopg = pytest.importorskip("psycopg")
    parts = urlsplit(suite_url)
    name = f"{parts.path.lstrip('/') or 'cv2web'}_kill_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(parts._replace(path="/postgres", query=""))
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}", query=""))
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


ORPHAN = """
import os, sys, time
from extraction.isolation import run_isolated

def parse(pid_file):
    with open(pid_file, "w") as out:
        out.write(str(os.getpid()))
    time.sleep(120)

run_isolated(parse, sys.argv[1], timeout=300, memory_mb=256)
"""


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie (dead, waiting to be reaped)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every file under `root` whose bytes contain `needle` (databases included)."""
    found = []
    for path in root.rglob("*"):
        try:
            if path.is_file() and needle.encode() in path.read_bytes():
                found.append(path)
        except FileNotFoundError:  # removed while we looked
            continue
    return found


def wait_for(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def test_a_job_whose_worker_is_killed_finishes_within_the_lease_and_leaves_no_plaintext(
    site_db, tmp_path
):
    data = tmp_path / "data"
    marker = f"HOPPER-{uuid.uuid4().hex}"
    # The first model call never answers: the worker is killed while it waits,
    # its decrypted copy of the CV on disk. The retry's call answers at once.
    with fa.FakeAnthropic(fa.hang(), default=fa.ok()) as model:
        site = Site(
            site_db,
            data,
            model.url,
            Q_WORKERS="2",
            EXTRACTION_TIMEOUT_S="5",
            EXTRACTION_LEASE_S=str(LEASE_S),
            EXTRACTION_RETRY_BACKOFF_S=str(BACKOFF_S),
        )
        try:
            site.manage("migrate", "-v", "0")
            site.manage("setup_schedules")  # the minute watchdog of a real deployment
            site.manage("shell", "-c", ENQUEUE_ONE.format(marker=marker))
            site.start_cluster()
            assert wait_for(lambda: model.calls >= 1, timeout=60), "no worker took the job"
            ((worker, state),) = site.query("SELECT worker, state FROM extraction_extractionjob")
            assert state == "running"
            # The precondition of the fault: a plaintext copy is on disk now.
            assert [p.parent.name for p in files_containing(data, marker)] == ["tmp"]

            os.kill(int(worker.rsplit(":", 1)[1]), signal.SIGKILL)
            killed_at = time.monotonic()

            def finished():
                ((state, attempts),) = site.query(
                    "SELECT state, attempts FROM extraction_extractionjob"
                )
                return (state, attempts) if state in ("succeeded", "failed") else None

            # Waits past the bound so that a failure says how long it took.
            outcome = wait_for(finished, timeout=RECOVERY_BOUND_S + 150)
            recovered_in = time.monotonic() - killed_at
            print(f"recovered {recovered_in:.1f} s after the kill")  # shown with -s

            def results():
                ((count,),) = site.query(
                    "SELECT count(*) FROM monitoring_auditlog WHERE action = 'extraction.succeeded'"
                )
                return count

            # The audit row is written just after the state changes.
            wait_for(results, timeout=5)
        finally:
            site.stop_all()

        assert outcome == ("succeeded", 2), outcome
        assert results() == 1
        assert model.calls == 2
        # Both halves of the fault are reported together: a slow recovery and
        # the decrypted CV left on disk (it must go when the lease is seen to
        # expire, before the retry runs).
        problems = []
        if recovered_in > RECOVERY_BOUND_S:
            problems.append(
                f"the job succeeded {recovered_in:.0f} s after the kill "
                f"(allowed: lease {LEASE_S} + backoff {BACKOFF_S} + 15 s)"
            )
        if left := files_containing(data, marker):
            problems.append(f"plaintext of the CV left in {[str(p) for p in left]}")
        assert not problems, "; ".join(problems)


def test_a_parser_child_dies_with_the_worker_that_forked_it(tmp_path):
    # An orphaned parser would go on reading the decrypted copy (an unlinked
    # file stays on disk while it is open) with nobody to enforce its deadline.
    pid_file = tmp_path / "child.pid"
    worker = subprocess.Popen(
        [sys.executable, "-c", ORPHAN, str(pid_file)], cwd=REPO, start_new_session=True
    )
    try:
        assert wait_for(lambda: pid_file.exists() and pid_file.read_text(), timeout=30)
        child = int(pid_file.read_text())
        assert alive(child)
        worker.kill()  # SIGKILL: no handler, no finally
        worker.wait(timeout=10)
        assert wait_for(lambda: not alive(child), timeout=5), "the parser outlived its worker"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
