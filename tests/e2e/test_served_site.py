"""`make run`'s processes for real: gunicorn and a qcluster on the embedded
default (SQLite, ORM broker), a sample CV uploaded over HTTP, the result read
back from the API."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import sample
from tests.net import free_port, multipart, wait_for_http
from tests.processes import child_env

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def test_the_served_site_extracts_an_uploaded_sample(tmp_path):
    port = free_port()
    # A fresh machine: no keys set, as `make run` meets it (it makes them).
    env = child_env(
        drop=("PYTEST", "DJANGO_SETTINGS", "DATABASE_URL", "SECRET_KEY", "ENCRYPTION_KEYS"),
        secrets=False,
    )
    env |= {
        "DATA_DIR": str(tmp_path),
        "PORT": str(port),
        "EXTRACTOR": "local",
        "GUNICORN_ACCESS_LOG": "0",
        "LOG_LEVEL": "WARNING",
    }
    # The same steps as `make run`.
    for cmd in (
        ["scripts/local_secrets.py"],
        ["manage.py", "migrate", "-v", "0"],
        ["manage.py", "collectstatic", "--noinput", "-v", "0"],
        ["manage.py", "setup_schedules"],
    ):
        subprocess.run(
            [sys.executable, *cmd],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    proc = subprocess.Popen(
        [sys.executable, "scripts/serve.py"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert f"http://127.0.0.1:{port}/" in proc.stdout.readline() + proc.stdout.readline()
        wait_for_http(base + "/")
        body, ctype = multipart(sample("dev-03-paper.pdf").read_bytes(), name="cv.pdf")
        req = urllib.request.Request(
            base + "/api/v1/extractions", data=body, headers={"Content-Type": ctype}, method="POST"
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 202
            job = json.loads(r.read())
        deadline = time.monotonic() + 60
        while job["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.3)
            with urllib.request.urlopen(f"{base}/api/v1/extractions/{job['id']}") as r:
                job = json.loads(r.read())
        assert job["status"] == "succeeded", job["error"]
        assert job["result"]["basics"]["name"]
    finally:
        # Ctrl-C reaches serve.py, which stops its children's process groups.
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=40)
    time.sleep(0.5)
    assert not _processes_with(str(tmp_path)), "make run left processes behind"


def _processes_with(marker: str) -> list[int]:
    """Pids whose environment mentions `marker` (here: the test's DATA_DIR)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids
