"""A recruiter's day through the queue (issue 14 acceptance 4).

Starts the site (gunicorn and one qcluster with --workers workers, local
extractor, PostgreSQL by default) on a fresh database, then:

1. reference: --people interactive uploads alone, one every --every seconds;
   their wait in the queue (created -> started) and their total time;
2. the day: a bulk-plan token sends --cvs small distinct CVs in batch calls of
   50 in background mode with a callback_url (a loopback receiver), while
   the same interactive uploads go on; the day ends when every batch's
   webhook has arrived.

Prints CVs per second through the queue (first batch call to last batch
webhook), the interactive waits alone and during the day (medians, p95, the
ratio), and the share of the interactive jobs' time spent waiting while the
day ran. Last line: one JSON summary.

    python bench/bulk.py                 # PostgreSQL, 1,000 CVs, 2 workers
    python bench/bulk.py --db sqlite --cvs 200
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, percentile, use_local_keys  # noqa: E402
from tests.net import Receiver, free_port, wait_for_http  # noqa: E402

PG = os.environ.get("CV2WEB_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PER_CALL = 50


def a_cv(n: int, who: str = "Candidate") -> bytes:
    return (
        f"{who} Number{n} Person\n{who.lower()}{n}@example.com\n+44 20 7946 {n % 10000:04d}\n"
        f"London\n\nEXPERIENCE\nEngineer, Company{n} Ltd\n2019 - 2024\n\n"
        f"EDUCATION\nBSc Physics, University of Somewhere\n2015 - 2018\n\nSKILLS\nPython, SQL\n"
    ).encode()


def form(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    for field, name, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{name}"\r\nContent-Type: text/plain\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def call(base: str, path: str, key: str, body: bytes | None = None, ctype: str = ""):
    headers = {"Authorization": f"Token {key}"} | ({"Content-Type": ctype} if ctype else {})
    request = urllib.request.Request(
        base + path, data=body, headers=headers, method="POST" if body else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def fresh_postgres(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


class Site:
    def __init__(self, args, data_dir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        self.env |= {
            "DATA_DIR": str(data_dir),
            "PORT": str(self.port),
            "EXTRACTOR": "local",
            "Q_WORKERS": str(args.workers),
            "GUNICORN_ACCESS_LOG": "0",
            "LOG_LEVEL": "WARNING",
            "QUOTA_BULK_EXTRACTIONS_PER_DAY": str(args.cvs),
            "QUOTA_REGISTERED_EXTRACTIONS_PER_DAY": "100000",
            "RATELIMIT_UPLOADS": "100000/h",
            "RATELIMIT_API_HOUR": "100000/h",
            "RATELIMIT_API_DAY": "1000000/d",
            "WEBHOOK_ALLOW_HTTP": "1",
            "WEBHOOK_ALLOW_LOOPBACK": "1",
        }
        if args.db == "postgres":
            self.env["DATABASE_URL"] = fresh_postgres("cv2web_bench_bulk")
        else:
            self.env.pop("DATABASE_URL", None)
        use_local_keys(self.env)
        self.procs: list[subprocess.Popen] = []

    def manage(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if out.returncode:
            raise SystemExit(out.stderr[-3000:])
        return out.stdout

    def token(self, username: str, tier: str) -> str:
        return (
            self.manage(
                "shell",
                "-c",
                "from django.contrib.auth import get_user_model;"
                "from quotas.models import Account, ApiToken;"
                f"u = get_user_model().objects.create_user('{username}', '', 'pw-{username}-1');"
                f"Account.objects.filter(user=u).update(tier='{tier}');"
                f"print(ApiToken.issue(u, 'bench')[1])",
            )
            .strip()
            .splitlines()[-1]
        )

    def start(self) -> None:
        for cmd in (
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            [sys.executable, "manage.py", "qcluster"],
        ):
            self.procs.append(
                subprocess.Popen(
                    cmd,
                    cwd=REPO,
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        wait_for_http(self.base + "/healthz", timeout=120)

    def stop(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


class People:
    """Interactive uploads, one every `every` seconds, from a registered account."""

    def __init__(self, site: Site, key: str, every: float, first: int) -> None:
        self.site, self.key, self.every = site, key, every
        self.jobs: list[str] = []
        self.stop = threading.Event()
        self.counter = first  # distinct CVs: a cache hit would not wait at all

    def run(self, count: int | None = None) -> None:
        while not self.stop.is_set() and (count is None or len(self.jobs) < count):
            self.counter += 1
            body, ctype = form({}, [("file", "me.txt", a_cv(self.counter, "Person"))])
            status, job = call(self.site.base, "/api/v1/extractions", self.key, body, ctype)
            if status in (201, 202):
                self.jobs.append(job["id"])
            self.stop.wait(self.every)

    def timings(self, ids: list[str], timeout: float = 600) -> list[tuple[float, float]]:
        """(wait in the queue, total) seconds of each job, once all have ended."""
        deadline = time.monotonic() + timeout
        out = []
        for job_id in ids:
            while True:
                _, job = call(self.site.base, f"/api/v1/extractions/{job_id}", self.key)
                if job.get("finished_at") or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            created = datetime.fromisoformat(job["created_at"])
            started = datetime.fromisoformat(job["started_at"] or job["finished_at"])
            finished = datetime.fromisoformat(job["finished_at"])
            wait = max(0.0, (started - created).total_seconds())
            out.append((wait, max(wait, (finished - created).total_seconds())))
        return out


def summary(timings: list[tuple[float, float]]) -> dict:
    waits = [w for w, _ in timings]
    return {
        "jobs": len(timings),
        "wait_median_s": round(statistics.median(waits), 3) if waits else None,
        "wait_p95_s": round(percentile(waits, 95), 3) if waits else None,
        "waiting_share": round(sum(waits) / max(1e-9, sum(t for _, t in timings)), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cvs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--people", type=int, default=15, help="interactive uploads alone")
    parser.add_argument("--every", type=float, default=2.0, help="seconds between them")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cv2web-bulk-") as tmp:
        site = Site(args, Path(tmp))
        site.manage("migrate", "-v", "0")
        bulk_key, person_key = site.token("ats", "bulk"), site.token("person", "registered")
        site.start()
        try:
            people = People(site, person_key, args.every, first=10**6)
            people.run(args.people)
            alone = summary(people.timings(people.jobs))
            print(f"interactive alone: {alone}", flush=True)

            during = People(site, person_key, args.every, first=2 * 10**6)
            beside = threading.Thread(target=during.run, daemon=True)
            with Receiver() as receiver:
                started = time.monotonic()
                beside.start()
                batches = 0
                for first in range(0, args.cvs, PER_CALL):
                    files = [
                        ("files", f"cv{n}.txt", a_cv(n))
                        for n in range(first, min(args.cvs, first + PER_CALL))
                    ]
                    body, ctype = form(
                        {"mode": "background", "callback_url": receiver.url()}, files
                    )
                    status, answer = call(
                        site.base, "/api/v1/extractions/batch", bulk_key, body, ctype
                    )
                    if status != 202:
                        raise SystemExit(f"batch call {batches + 1}: {status} {answer}")
                    batches += 1
                sent = time.monotonic() - started
                while len({r["headers"]["webhook-id"] for r in receiver.requests}) < batches:
                    if time.monotonic() - started > 1800:
                        raise SystemExit(f"only {len(receiver.requests)} of {batches} webhooks")
                    time.sleep(0.2)
                took = time.monotonic() - started
                during.stop.set()
                beside.join(timeout=60)
                events = [json.loads(r["body"]) for r in receiver.requests]
            succeeded = sum(e["data"]["counts"]["succeeded"] for e in events)
            with_bulk = summary(during.timings(during.jobs))
        finally:
            site.stop()

    rate = args.cvs / took
    ratio = (
        round(with_bulk["wait_median_s"] / alone["wait_median_s"], 2)
        if alone["wait_median_s"]
        else None
    )
    print(f"bulk day: {args.cvs} CVs in {batches} batch calls ({sent:.1f} s to send)")
    print(f"  through the queue: {took:.1f} s, {rate:.2f} CVs/s ({succeeded} succeeded)")
    print(f"  1,000 CVs would take {1000 / rate / 60:.1f} min at this rate")
    print(f"interactive during the day: {with_bulk}")
    print(
        f"  waiting share while it ran: {with_bulk['waiting_share']:.1%} of their time "
        f"(alone: {alone['waiting_share']:.1%}); median wait ratio to alone: {ratio}"
    )
    print(
        json.dumps(
            {
                "bench": "bulk",
                "db": args.db,
                "workers": args.workers,
                "cvs": args.cvs,
                "succeeded": succeeded,
                "seconds": round(took, 1),
                "cvs_per_second": round(rate, 2),
                "interactive_alone": alone,
                "interactive_during": with_bulk,
                "median_wait_ratio": ratio,
            }
        )
    )
    return 0 if succeeded == args.cvs else 1


if __name__ == "__main__":
    sys.exit(main())
