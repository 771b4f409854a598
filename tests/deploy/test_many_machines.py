"""Many machines, for real: two web hosts and two worker hosts, each a network
namespace of its own with its own address and hostname, reaching PostgreSQL,
Redis (cache and django-q2 broker) and the model API over the network.

A burst of uploads and publications goes to both web hosts at once; then one
worker host dies in the middle of its jobs and one web host dies in the middle
of an upload. What must hold: no job lost or run to completion twice, no
capacity overshoot, no quota overshoot, and /readyz of the survivors telling
the truth.

PostgreSQL is needed (SQLite cannot be shared by hosts); on a run of the suite
on SQLite this test still uses a PostgreSQL database of its own (and skips only
when the server is not there), as it is the only way to test the topology.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.fakes import fake_anthropic as fa
from tests.net import free_port, multipart
from tests.processes import PG, child_env, pg_admin_conn

from .netns import Network, netns_unavailable

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
REPO = Path(__file__).resolve().parents[2]
REDIS = ("127.0.0.1", 6379)
MODEL_DELAY_S = 3.0  # each model call: long enough to die in the middle of one
CAPACITY = 3
QUOTA = 3  # the anonymous tier's extractions a day (the default)


def cv_text(i: int) -> bytes:
    return (
        f"Person Number{i}\nperson{i}@example.com\n\nEXPERIENCE\n"
        f"Engineer, Company {i} Ltd, 2019 - 2024\nBuilt things number {uuid.uuid4().hex}\n\n"
        "EDUCATION\nBSc Physics, Example University, 2015 - 2018\n"
    ).encode()


def http(url: str, *, data: bytes | None = None, headers=None, method=None, timeout=20):
    """(status, JSON body or None); (0, None) when the host does not answer."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"null")
        except ValueError:
            return exc.code, None
    except OSError:
        return 0, None


def upload(base: str, data: bytes, client: str):
    body, ctype = multipart(data, name="cv.txt")
    return http(
        base + "/api/v1/extractions",
        data=body,
        headers={"Content-Type": ctype, "X-Forwarded-For": client},
        method="POST",
    )


def publish(base: str, i: int):
    body = json.dumps({"resume": {"basics": {"name": f"Publisher {i}"}}}).encode()
    return http(
        base + "/api/v1/portfolios",
        data=body,
        headers={"Content-Type": "application/json", "X-Forwarded-For": f"203.0.113.{100 + i}"},
        method="POST",
    )


def redis_up() -> bool:
    with contextlib.suppress(OSError), socket.create_connection(REDIS, timeout=2):
        return True
    return False


def flush_redis(first_db: int) -> None:
    import redis

    for db in (first_db, first_db + 1):
        redis.Redis(*REDIS, db=db).flushdb()


@pytest.fixture
def cluster(tmp_path):
    """Two web hosts and two worker hosts on a test network; removed afterwards."""
    reason = netns_unavailable()
    if reason:
        pytest.skip(f"network namespaces unavailable: {reason}")
    if not redis_up():
        pytest.skip(f"Redis not reachable at {REDIS[0]}:{REDIS[1]}")
    name = f"cv2web_hosts_{secrets.token_hex(5)}"
    with pg_admin_conn() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    net, forwarder, fake = Network(), None, None
    redis_db = 13  # and 14: databases no other test uses (the load run takes 11 and 12)
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        flush_redis(redis_db)  # what an interrupted run may have left
        net.open()
        gw = net.gateway
        pg_port, redis_port = free_port(), free_port()
        forwarder = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("forward.py")),
                f"{gw}:{pg_port}={PG.rsplit('@', 1)[-1]}",
                f"{gw}:{redis_port}={REDIS[0]}:{REDIS[1]}",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert forwarder.stdout.readline().strip() == "ready"
        fake = fa.FakeAnthropic(default=fa.ok(delay=MODEL_DELAY_S), host=gw).start()
        hosts = {n: net.add_host(n) for n in ("web1", "web2", "worker1", "worker2")}
        user = PG.split("//", 1)[1].split("@", 1)[0]
        env = child_env(drop=("PYTEST", "DJANGO_SETTINGS", "DATABASE_URL", "CACHE_URL")) | {
            "DJANGO_SETTINGS_MODULE": "cv2web.settings",
            "DATA_DIR": str(tmp_path / "shared"),  # the shared storage of every host
            "DATABASE_URL": f"postgres://{user}@{gw}:{pg_port}/{name}",
            "DATABASE_CONNECT_TIMEOUT": "2",
            "CACHE_URL": f"redis://{gw}:{redis_port}/{redis_db}",
            "Q_BROKER": f"redis://{gw}:{redis_port}/{redis_db + 1}",
            "Q_WORKERS": "2",
            "WEB_CONCURRENCY": "2",
            "ALLOWED_HOSTS": ",".join(h.address for h in hosts.values()),
            "TRUSTED_PROXY_COUNT": "1",  # the test stands for the load balancer
            "EXTRACTOR": "claude",
            "ANTHROPIC_API_KEY": "test-key",
            "ANTHROPIC_BASE_URL": fake.url,
            "ANTHROPIC_MAX_RETRIES": "0",
            "ANTHROPIC_TIMEOUT_S": "8",
            "EXTRACTION_TIMEOUT_S": "10",
            "EXTRACTION_LEASE_S": "12",
            "EXTRACTION_RETRY_BACKOFF_S": "1",
            "WORKER_HEARTBEAT_SECONDS": "1",
            "WORKER_HEARTBEAT_MAX_AGE_S": "6",
            "PORTFOLIO_CAPACITY": str(CAPACITY),
            "CAPACITY_WARN_AT": str(CAPACITY - 1),
            "CAPACITY_HIGH_DEMAND_AT": str(CAPACITY),
            "PORTFOLIO_OVERFLOW_CAPACITY": str(CAPACITY + 1),
            "QUOTA_ANONYMOUS_EXTRACTIONS_PER_DAY": str(QUOTA),
            "GUNICORN_ACCESS_LOG": "0",
            "LOG_LEVEL": "WARNING",
        }
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"],
            cwd=REPO,
            env=env | {"DATABASE_URL": f"{PG}/{name}"},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        for label, host in hosts.items():
            args = (
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
                if label.startswith("web")
                else [sys.executable, "manage.py", "qcluster"]
            )
            extra = {"GUNICORN_BIND": f"{host.address}:8000"} if label.startswith("web") else {}
            with open(logs / f"{label}.log", "wb") as log:
                host.spawn(args, env=env | extra, cwd=str(REPO), log=log)
        yield {
            "hosts": hosts,
            "web": {n: f"http://{hosts[n].address}:8000" for n in ("web1", "web2")},
            "fake": fake,
            "db": f"{PG}/{name}",
            "data": tmp_path / "shared",
            "logs": logs,
        }
    finally:
        net.close()
        if forwarder is not None:
            forwarder.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                forwarder.wait(timeout=5)
            forwarder.kill()
        if fake is not None:
            fake.stop()
        with pg_admin_conn() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with contextlib.suppress(Exception):
            flush_redis(redis_db)


def query(c, sql: str, *params):
    import psycopg

    with psycopg.connect(c["db"], autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def wait_for(what: str, check, timeout: float, c=None):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            logs = ""
            if c is not None:
                logs = "\n".join(
                    f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
                    for p in sorted(c["logs"].glob("*.log"))
                )
            raise AssertionError(f"{what}: not within {timeout} s\n{logs}")
        time.sleep(0.25)


def readyz(base: str):
    return http(base + "/readyz", timeout=10)


def test_two_web_and_two_worker_hosts_survive_losing_one_of_each(cluster):
    c = cluster
    web1, web2 = c["web"]["web1"], c["web"]["web2"]
    hosts = c["hosts"]
    for base in (web1, web2):
        wait_for(f"{base}/readyz ready", lambda b=base: readyz(b)[0] == 200, 60, c)

    # Both worker hosts are up (each beats under its own hostname).
    def beating():
        names = query(c, "SELECT name FROM monitoring_workerheartbeat")
        return {r[0].split(":")[0] for r in names} >= {"worker1", "worker2"}

    wait_for("both worker hosts beating", beating, 30, c)

    # The burst, spread over both web hosts at once: distinct CVs from distinct
    # people, one person trying twice their daily quota, and more publications
    # than there are places.
    bases = [web1, web2]
    with ThreadPoolExecutor(16) as pool:
        uploads = [
            pool.submit(upload, bases[i % 2], cv_text(i), f"198.51.100.{10 + i}") for i in range(8)
        ]
        greedy = [
            pool.submit(upload, bases[i % 2], cv_text(100 + i), "198.51.100.200")
            for i in range(2 * QUOTA)
        ]
        publications = [pool.submit(publish, bases[i % 2], i) for i in range(3 * CAPACITY)]
        uploads = [f.result() for f in uploads]
        greedy = [f.result() for f in greedy]
        publications = [f.result() for f in publications]

    assert [s for s, _ in uploads] == [202] * 8, uploads
    # No quota overshoot across hosts: exactly the allowance, the rest refused.
    assert sorted(s for s, _ in greedy) == [202] * QUOTA + [429] * QUOTA, greedy
    assert {b["error"] for s, b in greedy if s == 429} == {"quota_exceeded"}
    used = query(
        c, "SELECT extractions FROM quotas_dailyusage WHERE subject = %s", "ip:198.51.100.200"
    )
    assert used == [(QUOTA,)]
    # No capacity overshoot across hosts: exactly CAPACITY online, the rest wait in line.
    statuses = sorted(s for s, _ in publications)
    assert statuses == [201] * CAPACITY + [202] * (2 * CAPACITY), publications
    positions = sorted(b["position"] for s, b in publications if s == 202)
    assert positions == list(range(1, 2 * CAPACITY + 1))
    holding = query(
        c,
        "SELECT count(*) FROM portfolios_portfolio WHERE state IN "
        "('creating', 'active', 'idle', 'warning')",
    )
    assert holding == [(CAPACITY,)]
    assert len(list((c["data"] / "sandboxes").iterdir())) == CAPACITY

    accepted = [b["id"] for s, b in uploads + greedy if s == 202]

    # A worker host dies in the middle of its jobs (each waits on the model).
    def running_on_worker1():
        return query(
            c,
            "SELECT id FROM extraction_extractionjob WHERE state = 'running' "
            "AND worker LIKE 'worker1:%%'",
        )

    wait_for("a job running on worker1", running_on_worker1, 30, c)
    # Inside its model call (the call takes MODEL_DELAY_S).
    wait_for("a model call in flight", lambda: c["fake"].in_flight > 0, 10, c)
    time.sleep(0.3)
    hosts["worker1"].kill()
    # What it held when it died (nobody touches these rows until their lease ends).
    orphans = {str(r[0]) for r in running_on_worker1()}
    assert orphans

    # A web host dies in the middle of an upload: the body is half sent.
    doc = cv_text(999)
    body, ctype = multipart(doc, name="cv.txt")
    head = (
        f"POST /api/v1/extractions HTTP/1.1\r\nHost: {hosts['web1'].address}:8000\r\n"
        f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
        "X-Forwarded-For: 198.51.100.250\r\n\r\n"
    ).encode()
    sock = socket.create_connection((hosts["web1"].address, 8000), timeout=10)
    sock.sendall(head + body[: len(body) // 2])
    time.sleep(0.5)
    hosts["web1"].kill()
    sock.settimeout(10)
    try:
        answer = sock.recv(100)
    except OSError:
        answer = b""
    sock.close()
    assert answer == b"", f"a dead host answered {answer!r}"
    # Nothing half-done was kept of it: no document, no job.
    assert query(
        c, "SELECT count(*) FROM extraction_extractionjob WHERE client = %s", "198.51.100.250"
    ) == [(0,)]
    # The load balancer sends the person to the surviving web host.
    status, job = upload(web2, doc, "198.51.100.250")
    assert status == 202, job
    accepted.append(job["id"])

    # The survivors tell the truth: web2 is ready (worker2 beats), web1 is gone.
    status, ready = readyz(web2)
    assert status == 200 and ready["checks"]["worker"] == "ok", ready
    assert readyz(web1)[0] == 0

    # No job lost: every accepted upload ends with its result, the dead
    # worker's too (its lease runs out, worker2 runs it again).
    def all_done():
        rows = query(
            c,
            "SELECT id::text, state, attempts, worker FROM extraction_extractionjob "
            "WHERE id::text = ANY(%s)",
            accepted,
        )
        return rows if all(r[1] not in ("queued", "running") for r in rows) else None

    rows = wait_for("every job finished", all_done, 90, c)
    assert len(rows) == len(accepted) == 8 + QUOTA + 1
    assert {r[1] for r in rows} == {"succeeded"}, rows
    by_id = {r[0]: r for r in rows}
    for job_id in orphans:
        assert by_id[job_id][2] == 2, by_id[job_id]  # ran again...
        assert by_id[job_id][3].startswith("worker2:"), by_id[job_id]  # ...on the survivor
    # ...and none ran to completion twice: one success each in the audit log.
    finished = query(
        c,
        "SELECT object_id, count(*) FROM monitoring_auditlog "
        "WHERE action = 'extraction.succeeded' AND object_id = ANY(%s) GROUP BY object_id",
        accepted,
    )
    assert sorted(n for _, n in finished) == [1] * len(accepted), finished
    # The model was asked once per job, and once more for (at most) each job the
    # dead host had (one it had claimed but not yet asked is asked once).
    assert len(accepted) <= c["fake"].calls <= len(accepted) + len(orphans)

    # With the last worker host gone too, /readyz says so (and names the workers).
    hosts["worker2"].kill()

    def says_no_worker():
        status, body = readyz(web2)
        return status == 503 and body and "worker" in body.get("failing", [])

    wait_for("web2's /readyz reporting no worker", says_no_worker, 20, c)
    assert http(web2 + "/healthz")[0] == 200


def test_the_forwarder_carries_bytes_both_ways():
    """The test network's plumbing: what the forwarder passes on comes back."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def echo():
        conn, _ = server.accept()
        with conn:
            while data := conn.recv(1024):
                conn.sendall(data[::-1])

    threading.Thread(target=echo, daemon=True).start()
    listen = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("forward.py")),
            f"127.0.0.1:{listen}=127.0.0.1:{port}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        with socket.create_connection(("127.0.0.1", listen), timeout=5) as s:
            s.sendall(b"hello")
            assert s.recv(1024) == b"olleh"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        server.close()
