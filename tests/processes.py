"""Running manage.py, gunicorn or qcluster in a process of their own: what
start-up refuses, and commands' exit codes and messages, are only seen from
outside.

A child process is not under the test runner (`settings.TESTING` is false
there), so with DEBUG off it refuses the development SECRET_KEY and a missing
ENCRYPTION_KEYS, as production does. `child_env` hands it this test process's
own keys: production-grade values, and the same ones, so that a child reads
what this process sealed or signed and the other way round.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

# The PostgreSQL server that tests starting processes make their own databases on.
PG = os.environ.get("CV2WEB_TEST_PG", "postgres://postgres@127.0.0.1:5432")


def secrets_env() -> dict[str, str]:
    """SECRET_KEY and ENCRYPTION_KEYS as this test process uses them."""
    from django.conf import settings

    return {
        "SECRET_KEY": settings.SECRET_KEY,
        "ENCRYPTION_KEYS": ",".join(settings.ENCRYPTION_KEYS),
    }


def child_env(
    env: dict[str, str] | None = None,
    *,
    drop: tuple[str, ...] = ("PYTEST", "DJANGO_SETTINGS"),
    secrets: bool = True,
) -> dict[str, str]:
    """This environment minus variables starting with `drop`, plus this process's
    keys (unless `secrets` is false), plus `env`."""
    # The browser fixture allows Django's async-unsafe calls in this process
    # only (Playwright runs an event loop here); a child is a deployment, where
    # check --deploy rightly refuses it.
    drop = (*drop, "DJANGO_ALLOW_ASYNC_UNSAFE")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    if secrets:
        environ |= secrets_env()
    return environ | (env or {})


def stop_group(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM to the process group `proc` leads (started with
    start_new_session=True: gunicorn's master and its workers), SIGKILL to
    what has not gone within `timeout`."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def manage(
    *args: str,
    env: dict[str, str] | None = None,
    drop: tuple[str, ...] = ("PYTEST",),
    secrets: bool = True,
    timeout: int = 60,
) -> subprocess.CompletedProcess:
    """`python manage.py ARGS` in the environment `child_env` gives."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=child_env(env, drop=drop, secrets=secrets),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def pg_admin_conn():
    """A connection to PG's maintenance database (the test skips when it is down)."""
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(f"{PG}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG}: {exc}")


class Site:
    """Environment and processes of one small deployment under test."""

    def __init__(self, db_url: str, data_dir: Path, model_url: str, **extra: str) -> None:
        from django.conf import settings

        self.db_url = db_url
        self.env = child_env() | {
            "DJANGO_SETTINGS_MODULE": "cv2web.settings",
            "DATABASE_URL": db_url,
            "DATA_DIR": str(data_dir),
            "EXTRACTOR": "claude",
            "ANTHROPIC_API_KEY": "test-key",
            "ANTHROPIC_BASE_URL": model_url,
            "LOG_LEVEL": "WARNING",
            # Outside the test runner, start-up refuses development keys (as
            # production does): the processes get this run's own.
            "SECRET_KEY": settings.SECRET_KEY,
            "ENCRYPTION_KEYS": ",".join(settings.ENCRYPTION_KEYS),
            **extra,
        }
        self.procs: list[subprocess.Popen] = []

    def manage(self, *args: str, timeout: float = 120) -> str:
        out = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        return out.stdout

    def start_cluster(self) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        # Always the whole group: the cluster's sentinel and workers can
        # outlive its first process.
        for proc in self.procs:
            self.kill(proc)

    def query(self, sql: str, *params):
        """Rows of `sql` (`%s` placeholders) on the site's database, read from outside."""
        if self.db_url.startswith("sqlite:"):
            import sqlite3

            path = self.db_url.removeprefix("sqlite:///")
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(self.db_url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()
