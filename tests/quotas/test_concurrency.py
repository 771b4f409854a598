"""Quotas and burst limits under real concurrency.

1. Threads against the suite's database (PostgreSQL in the PostgreSQL run):
   20 simultaneous uploads from one address with a daily limit of 3.
2. Two gunicorn worker processes sharing Redis: the burst limit holds
   across them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from quotas.models import DailyUsage
from tests.net import free_port, multipart, wait_for_http
from tests.processes import child_env

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_uploads_from_one_address_accept_exactly_the_limit(settings):
    from django.test import Client

    settings.QUOTA_TIERS = {
        **settings.QUOTA_TIERS,
        "anonymous": {**settings.QUOTA_TIERS["anonymous"], "extractions_per_day": 3},
    }
    settings.RATELIMIT_ENABLE = False  # the daily quota alone is under test here
    start = threading.Barrier(20)

    def one(i: int) -> int:
        body, ctype = multipart(f"Person {i}\nperson{i}@example.com\n".encode())
        client = Client()
        start.wait()
        try:
            return client.generic(
                "POST", "/api/v1/extractions", body, content_type=ctype
            ).status_code
        finally:
            connection.close()  # each thread has its own database connection

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(one, range(20)))
    assert sorted(codes) == [202] * 3 + [429] * 17, codes
    assert DailyUsage.objects.get().extractions == 3


def _redis_or_skip(db: int):
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, db=db, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable on 127.0.0.1:6379 ({exc}); CI starts it")
    return client


@pytest.mark.slow
def test_the_burst_limit_holds_across_two_gunicorn_workers_sharing_redis(tmp_path):
    db = 13
    _redis_or_skip(db).flushdb()
    port = free_port()
    log = tmp_path / "access.log"
    env = child_env(drop=("PYTEST", "DJANGO_SETTINGS", "DATABASE_URL"))
    env |= {
        "DATA_DIR": str(tmp_path),
        "CACHE_URL": f"redis://127.0.0.1:6379/{db}",
        "RATELIMIT_UPLOADS": "3/h",
        "QUOTA_ANONYMOUS_EXTRACTIONS_PER_DAY": "1000",
        "LOG_LEVEL": "WARNING",
        # The access log below is read in gunicorn's own line format.
        "LOG_FORMAT": "text",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=120,
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--worker-class",
            "sync",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%(p)s %(m)s %(s)s",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/api/schema/")

        def one(i: int) -> tuple[int, dict]:
            body, ctype = multipart(f"Person {i}\np{i}@example.com\n".encode())
            req = urllib.request.Request(
                base + "/api/v1/extractions",
                data=body,
                headers={"Content-Type": ctype},
                method="POST",
            )
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as err:
                return err.code, json.loads(err.read())

        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(one, range(20)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    codes = sorted(code for code, _ in results)
    assert codes == [202] * 3 + [429] * 17, codes
    assert {body["error"] for code, body in results if code == 429} == {"rate_limited"}
    served_by = {
        line.split()[0]
        for line in log.read_text().splitlines()
        if re.search(r" POST (202|429)$", line)
    }
    assert len(served_by) == 2, "both workers should have answered uploads"
