"""A recruiter's day against the served site (issue 14 acceptance 2): a bulk-plan
token sends 1,000 small distinct CVs in 20 batch calls in background mode
(local extractor), a loopback receiver gets one signed webhook per batch and
verifies every signature with the snippet of docs/api.md, the service's own
counts match (1,000 succeeded, none lost, none twice), and the 1,001st CV of
the day is refused with 429 `quota_exceeded`.

The site is `make run`'s pair of processes (gunicorn and one qcluster with
two workers) on the embedded default (SQLite, ORM broker). BULK_DAY_CVS sets
a smaller day for a quick look; the acceptance figure is the default.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.net import Receiver, free_port, wait_for_http
from tests.processes import child_env

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
CVS = int(os.environ.get("BULK_DAY_CVS", "1000"))
PER_CALL = 50


def documented_verify():
    text = (REPO / "docs" / "api.md").read_text()
    code = re.search(r"<!-- verify-snippet -->\n```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace["verify"]


def multipart_files(fields: dict[str, str], files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for filename, data in files:
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def a_cv(n: int) -> bytes:
    return (
        f"Candidate Number{n} Person\n"
        f"candidate{n}@example.com\n+44 20 7946 {n:04d}\nLondon\n\n"
        f"EXPERIENCE\nEngineer, Company{n} Ltd\n2019 - 2024\n\n"
        f"EDUCATION\nBSc Physics, University of Somewhere\n2015 - 2018\n\n"
        f"SKILLS\nPython, SQL\n"
    ).encode()


def call(base: str, path: str, key: str, body: bytes | None = None, ctype: str = ""):
    headers = {"Authorization": f"Token {key}"}
    if ctype:
        headers["Content-Type"] = ctype
    request = urllib.request.Request(
        base + path, data=body, headers=headers, method="POST" if body else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_bulk_day_of_background_cvs_is_announced_once_per_batch(tmp_path):
    port = free_port()
    env = child_env(drop=("PYTEST", "DJANGO_SETTINGS", "DATABASE_URL", "CACHE_URL"))
    env |= {
        "DATA_DIR": str(tmp_path),
        "PORT": str(port),
        "EXTRACTOR": "local",
        "GUNICORN_ACCESS_LOG": "0",
        "LOG_LEVEL": "WARNING",
        "QUOTA_BULK_EXTRACTIONS_PER_DAY": str(CVS),
        # The receiver is on loopback, over http: development switches, on here only.
        "WEBHOOK_ALLOW_HTTP": "1",
        "WEBHOOK_ALLOW_LOOPBACK": "1",
    }

    def manage(*args: str) -> str:
        out = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        return out.stdout

    manage("migrate", "-v", "0")
    manage("collectstatic", "--noinput", "-v", "0")
    key = (
        manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model;"
            "from quotas.models import Account, ApiToken;"
            "u = get_user_model().objects.create_user('ats', 'ats@example.com', 'pw-ats-123456');"
            "Account.objects.filter(user=u).update(tier='bulk');"
            "print(ApiToken.issue(u, 'ats')[1])",
        )
        .strip()
        .splitlines()[-1]
    )  # after what `shell` says about its imports
    proc = subprocess.Popen(
        [sys.executable, "scripts/serve.py"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    verify = documented_verify()
    try:
        wait_for_http(base + "/healthz")
        with Receiver() as receiver:
            secret = None
            batches, job_ids = [], set()
            started = time.monotonic()
            for call_no in range(CVS // PER_CALL):
                files = [
                    (f"cv{n}.txt", a_cv(n))
                    for n in range(call_no * PER_CALL, (call_no + 1) * PER_CALL)
                ]
                body, ctype = multipart_files(
                    {"mode": "background", "callback_url": receiver.url()}, files
                )
                status, answer = call(base, "/api/v1/extractions/batch", key, body, ctype)
                assert status == 202, answer
                assert all("id" in job for job in answer["jobs"]), answer["jobs"][:3]
                secret = answer.get("webhook_secret") or secret
                batches.append(answer["batch"]["id"])
                job_ids |= {job["id"] for job in answer["jobs"]}
            assert secret and len(job_ids) == CVS

            # The 1,001st of the day.
            body, ctype = multipart_files({"mode": "background"}, [("late.txt", a_cv(CVS))])
            status, answer = call(base, "/api/v1/extractions/batch", key, body, ctype)
            assert status == 429 and answer["error"] == "quota_exceeded", answer

            deadline = time.monotonic() + 900
            while len({r["headers"]["webhook-id"] for r in receiver.requests}) < len(batches):
                assert time.monotonic() < deadline, f"{len(receiver.requests)} events so far"
                time.sleep(1)
            took = time.monotonic() - started
            time.sleep(2)  # anything sent twice would arrive now
            requests = list(receiver.requests)

        events = []
        for request in requests:
            assert verify(secret, request["headers"], request["body"]), request["headers"]
            events.append(json.loads(request["body"]))
        assert len(requests) == len({r["headers"]["webhook-id"] for r in requests}) == len(batches)
        assert sorted(e["data"]["id"] for e in events) == sorted(batches)
        announced = [job for e in events for job in e["data"]["jobs"]]
        assert sorted(j["id"] for j in announced) == sorted(job_ids)  # none lost, none twice
        assert {j["status"] for j in announced} == {"succeeded"}
        assert sum(e["data"]["counts"]["succeeded"] for e in events) == CVS

        # The service's own books: every job succeeded once, and one audit row each.
        db = tmp_path / "cv2web.sqlite3"
        import sqlite3

        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            states = dict(
                conn.execute(
                    "SELECT state, count(*) FROM extraction_extractionjob GROUP BY state"
                ).fetchall()
            )
            twice = conn.execute(
                "SELECT object_id FROM monitoring_auditlog WHERE action = 'extraction.succeeded'"
                " GROUP BY object_id HAVING count(*) > 1"
            ).fetchall()
            used = conn.execute("SELECT sum(extractions) FROM quotas_dailyusage").fetchone()[0]
        assert states == {"succeeded": CVS}, states
        assert twice == [] and used == CVS
        print(f"\n{CVS} CVs in {CVS // PER_CALL} batch calls, all announced in {took:.0f} s")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
