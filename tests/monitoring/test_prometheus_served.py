"""Issue 16, acceptance 3: `/metrics` of a real gunicorn with TWO workers and a
qcluster sharing PROMETHEUS_MULTIPROC_DIR, after a scripted run of requests.

- `promtool check metrics` (Debian's `prometheus` package) finds nothing;
- the request counters moved by exactly the number of requests made, whichever
  worker answered each request and each scrape;
- both workers served some of them (their own files in the directory), and an
  extraction run by the worker cluster is in the web's scrape.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import IN_CI, REPO
from tests.net import free_port, multipart, wait_for_http
from tests.processes import child_env

pytestmark = pytest.mark.slow

N_OK = 60  # GET /healthz
N_MISSING = 7  # GET of a path no route matches

CV = b"""Jane Example
jane@example.com | +44 20 7946 0000 | London

Experience
Software Engineer, Example Ltd, 2019 - 2024
- Built the billing service in Python and Django.

Education
BSc Computer Science, University of Example, 2015 - 2019

Skills
Python, Django, PostgreSQL
"""


MORE_ROUNDS = 20  # rounds of N_OK more requests, at most, until both workers served


def served_counts(metrics_dir: Path) -> dict[str, float]:
    """GET /healthz answered, per worker's file of counts."""
    served_by: dict[str, float] = {}
    for path in metrics_dir.glob("counter_*.db"):
        for fam in MultiProcessCollector.merge([str(path)], accumulate=False):
            for s in fam.samples:
                if s.name == "cv2web_http_requests_total" and s.labels["route"] == "healthz":
                    served_by[path.name] = served_by.get(path.name, 0) + s.value
    return served_by


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        message = "promtool is missing: apt-get install prometheus (.ci/run installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as r:  # noqa: S310 - loopback
            r.read()
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def scrape(base: str) -> tuple[str, dict]:
    with urllib.request.urlopen(base + "/metrics", timeout=20) as r:  # noqa: S310
        text = r.read().decode()
    return text, {f.name: f for f in text_string_to_metric_families(text)}


def value(fams: dict, family: str, name: str, **labels) -> float:
    fam = fams.get(family)
    return sum(
        s.value
        for s in (fam.samples if fam else ())
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def healthz(fams: dict) -> float:
    return value(
        fams,
        "cv2web_http_requests",
        "cv2web_http_requests_total",
        route="healthz",
        method="GET",
        status="2xx",
    )


def test_two_workers_and_a_cluster_add_up_and_promtool_finds_nothing(tmp_path):
    tool = promtool()
    port = free_port()
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = child_env(drop=("PYTEST", "DJANGO_SETTINGS", "DATABASE_URL")) | {
        "DJANGO_SETTINGS_MODULE": "cv2web.settings",
        "DATA_DIR": str(tmp_path / "data"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESS_LOG": "0",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "EXTRACTOR": "local",
        "LOG_LEVEL": "WARNING",
        "RATELIMIT_ENABLE": "0",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )
    err = (tmp_path / "err.log").open("w")
    procs = [
        subprocess.Popen(
            [sys.executable, *cmd],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        for cmd in (["-m", "gunicorn", "-c", "gunicorn.conf.py"], ["manage.py", "qcluster"])
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/healthz", timeout=60)
        _, before = scrape(base)

        # The scripted run: new connections, several at a time, so that both
        # workers take some.
        with ThreadPoolExecutor(8) as pool:
            ok = list(pool.map(get, [base + "/healthz"] * N_OK))
            missing = list(
                pool.map(get, [f"{base}/api/v1/no-such-page-{i}" for i in range(N_MISSING)])
            )
        assert ok == [200] * N_OK
        assert missing == [404] * N_MISSING

        # Every scrape, whichever worker answers it, counts exactly N.
        for _ in range(4):
            text, after = scrape(base)
            assert healthz(after) - healthz(before) == N_OK
            assert (
                value(
                    after,
                    "cv2web_http_requests",
                    "cv2web_http_requests_total",
                    route="unmatched",
                    status="4xx",
                )
                - value(
                    before,
                    "cv2web_http_requests",
                    "cv2web_http_requests_total",
                    route="unmatched",
                    status="4xx",
                )
                == N_MISSING
            )
            hist = "cv2web_http_request_duration_seconds"
            counted = value(after, hist, hist + "_count", route="healthz", status="2xx")
            assert counted - value(before, hist, hist + "_count", route="healthz") == N_OK

        # Both workers served: each wrote its own file of counts. The kernel
        # hands a connection to whichever worker waits in accept(); on a busy
        # machine one of them may take a whole round, so rounds are sent until
        # both have served, and the counts must still add up exactly.
        sent = N_OK
        for _ in range(MORE_ROUNDS):
            if len([n for n in served_counts(metrics_dir).values() if n]) >= 2:
                break
            with ThreadPoolExecutor(16) as pool:
                assert list(pool.map(get, [base + "/healthz"] * N_OK)) == [200] * N_OK
            sent += N_OK
        served_by = served_counts(metrics_dir)
        _, after = scrape(base)
        assert healthz(after) - healthz(before) == sent
        assert len([n for n in served_by.values() if n]) >= 2, served_by
        assert sum(served_by.values()) == healthz(after)

        # The process metrics of each worker, told apart by pid.
        pids = {s.labels["pid"] for s in after["process_resident_memory_bytes"].samples}
        assert len(pids) >= 2, pids
        assert value(after, "cv2web_build_info", "cv2web_build_info") == 1

        # An extraction that the worker cluster runs reaches the web's scrape.
        body, ctype = multipart(CV, name="cv.txt", content_type="text/plain")
        request = urllib.request.Request(
            base + "/api/v1/extractions",
            data=body,
            headers={"Content-Type": ctype},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=20) as r:  # noqa: S310
            assert r.status == 202
            job = json.loads(r.read())
        deadline = time.monotonic() + 90
        while job["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.3)
            with urllib.request.urlopen(f"{base}/api/v1/extractions/{job['id']}") as r:  # noqa: S310
                job = json.loads(r.read())
        text, fams = scrape(base)
        assert value(fams, "cv2web_extractions", "cv2web_extractions_total", extractor="local") == 1
        if job["status"] == "succeeded":
            dur = "cv2web_extraction_duration_seconds"
            assert value(fams, dur, dur + "_count", extractor="local") == 1

        # What Prometheus' own linter says of the whole scrape.
        (tmp_path / "scrape.txt").write_text(text)
        checked = subprocess.run(
            [tool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
        )
        assert checked.returncode == 0 and not checked.stdout.strip(), (
            checked.stdout + checked.stderr
        )
    finally:
        # The whole groups at once: nothing of theirs is kept (the cluster's
        # graceful stop alone takes longer than the rest of the test).
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in procs:
            proc.wait(timeout=10)
        err.close()
    assert Path(metrics_dir).exists()  # the operator's directory is left alone
