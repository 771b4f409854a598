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
from tests.processes import child_env

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
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def _load(port: int, threads: int, requests: int) -> tuple[int, list[str]]:
    """(answers, failures) of `threads` clients each sending `requests`
    requests, a new connection every fifth (what a recycled worker's queue
    holds) and keep-alive between."""
    answered, failures = [0], []
    lock = threading.Lock()

    def client():
        conn = None
        for i in range(requests):
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
    for w in workers:
        w.join(300)
    return answered[0], failures


def _workers(master: int) -> list[str]:
    return subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True
    ).stdout.split()


@pytest.mark.slow
def test_a_worker_that_stops_drops_no_connection(tmp_path):
    """Workers stopped one at a time under load, as a recycle or a graceful
    restart stops them: every request answered. (On gunicorn's own worker
    the kernel reset the connections queued on the stopping worker's socket.)"""
    with gunicorn(tmp_path) as (port, proc):
        done: list = []
        load = threading.Thread(target=lambda: done.append(_load(port, threads=6, requests=400)))
        load.start()
        stopped: list[str] = []
        while load.is_alive() and len(stopped) < 6:
            time.sleep(0.15)
            workers = [pid for pid in _workers(proc.pid) if pid not in stopped]
            if len(workers) == 2:  # the last one stopped has gone, its successor is up
                stopped.append(workers[0])
                os.kill(int(workers[0]), signal.SIGTERM)
        load.join(300)
    answered, failures = done[0]
    assert len(stopped) >= 3, "the load ended before workers could be stopped"
    # Left: a connection arriving between the stopping worker's last accept
    # and its close, and HTTP keep-alive's own race (the client sends on a
    # connection the server is closing); seen at most once a run here, where
    # gunicorn's own worker reset 6 to 17 connections each run.
    assert len(failures) <= 2, failures[:5]
    assert answered >= 6 * 400 - 2


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
