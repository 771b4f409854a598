"""The project's gunicorn: each worker on a socket of its own (reuse_port),
connections shared out among them, and none lost when a worker is recycled
(cv2web.gunicorn_worker, issue 13). A real gunicorn under gunicorn.conf.py."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.net import free_port, wait_for_http
from tests.processes import child_env, stop_group

REPO = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def gunicorn(tmp_path, **extra):
    port = free_port()
    env = child_env() | {
        "DJANGO_SETTINGS_MODULE": "cv2web.settings",
        "DATA_DIR": str(tmp_path),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": "0",
        "WEB_CONCURRENCY": "2",
        **extra,
    }
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
        yield port, proc
    finally:
        stop_group(proc)
        log.close()


def _load(port: int, threads: int, until: threading.Event) -> tuple[int, list[str]]:
    """(answers, failures) of `threads` clients sending requests until
    `until` is set, a new connection every fifth (what a stopping worker's
    queue holds) and keep-alive between."""
    answered, failures = [0], []
    lock = threading.Lock()

    def client():
        conn = None
        i = 0
        while not until.is_set():
            i += 1
            try:
                if conn is None or i % 5 == 0:
                    if conn is not None:
                        conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                ok = False
                with lock:
                    failures.append(f"{type(exc).__name__}: {exc}")
                conn = None
            if ok:
                with lock:
                    answered[0] += 1
        if conn is not None:
            conn.close()

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for w in workers:
        w.start()
    until.wait()
    for w in workers:
        w.join(60)
    return answered[0], failures


def _workers(master: int) -> list[str]:
    return subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True
    ).stdout.split()


@pytest.mark.slow
def test_a_worker_that_stops_drops_no_connection(tmp_path):
    """Workers stopped one at a time under load, as a recycle or a graceful
    restart stops them: the requests answered but for a rare one (on
    gunicorn's own worker the kernel reset every connection queued on the
    stopping worker's socket)."""
    with gunicorn(tmp_path) as (port, proc):
        done: list = []
        until = threading.Event()
        load = threading.Thread(target=lambda: done.append(_load(port, 6, until)))
        load.start()
        stopped: list[str] = []
        deadline = time.monotonic() + 120
        while len(stopped) < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = [pid for pid in _workers(proc.pid) if pid not in stopped]
            if len(workers) == 2:  # the last one stopped has gone, its successor is up
                stopped.append(workers[0])
                os.kill(int(workers[0]), signal.SIGTERM)
        time.sleep(0.5)  # under load past the last stop
        until.set()
        load.join(120)
    answered, failures = done[0]
    assert len(stopped) == 4, "workers were not replaced in time"
    # Left: a connection arriving between the stopping worker's last accept
    # and its close, and HTTP keep-alive's own race (the client sends on a
    # connection the server is closing); seen at most once a run here, where
    # gunicorn's own worker reset 6 to 17 connections each run.
    assert len(failures) <= 2, failures[:5]
    assert answered > 1000


@pytest.mark.slow
def test_each_worker_listens_on_a_socket_of_its_own(tmp_path):
    with gunicorn(tmp_path) as (port, proc):
        time.sleep(0.5)
        out = subprocess.run(
            ["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, check=True
        ).stdout
        children = _workers(proc.pid)
    listening = {line for line in out.splitlines() if line.strip()}
    assert len(listening) == 2, out  # one socket per worker, none in the master
    for pid in children:
        assert f"pid={pid}," in out, out
    assert f"pid={proc.pid}," not in out, out
