"""The served site in multi-machine mode, on this machine, for the load scenarios.

PostgreSQL (a database of the run's own, dropped afterwards), Redis as the shared
cache and as django-q2's broker, N gunicorn web nodes (gunicorn.conf.py as
deployed, each on its own port) and N `qcluster` worker nodes, every one a
process group of its own with the same environment, as separate machines would
have it (one DATA_DIR stands for the shared storage).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PG = os.environ.get("LOAD_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("LOAD_REDIS", "redis://127.0.0.1:6379")

# What the run seeds: a recruiter's account (premium, limits raised by staff as
# the admin allows) and portfolios already online for visitors to view.
SEED = """
import json, pathlib
from django.contrib.auth import get_user_model
from portfolios import publishing
from portfolios.themes import DEFAULT_THEME
from quotas.models import Account, ApiToken
User = get_user_model()
out = {"tokens": [], "slugs": []}
for i in range(%(recruiters)d):
    user = User.objects.create_user(f"recruiter{i}", f"recruiter{i}@example.com", "load-run-only")
    Account.objects.update_or_create(user=user, defaults={
        "tier": "premium", "extractions_per_day": 100000, "confirmed": True,
        "note": "load run"})
    out["tokens"].append(ApiToken.issue(user, "load")[1])
paths = sorted(pathlib.Path(%(samples)r).glob("*.json"))
resumes = [json.loads(p.read_text(encoding="utf-8-sig")) for p in paths
           if p.name != "visibility.json"] or [{"basics": {"name": "Ada Lovelace"}}]
for i in range(%(portfolios)d):
    pub = publishing.publish(resume=resumes[i %% len(resumes)], theme=DEFAULT_THEME,
        client=f"seed-{i}", retention_hours=720, active_limit=1)
    out["slugs"].append(pub.portfolio.slug)
print("SEED " + json.dumps(out))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_admin():
    import psycopg

    return psycopg.connect(f"{PG}/postgres", autocommit=True, connect_timeout=5)


@dataclass
class Deployment:
    """Start with `start()`, always `stop()` (a `with` block does both)."""

    web_nodes: int = 2
    worker_nodes: int = 2
    web_workers: int = 2  # gunicorn workers per web node (WEB_CONCURRENCY)
    q_workers: int = 2  # worker processes per qcluster (Q_WORKERS)
    samples: Path | None = None
    seed_portfolios: int = 10
    recruiters: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    redis_db: int = 11  # cache on this database, broker on the next one
    keep_data: bool = False  # keep DATA_DIR (logs) after stop()

    def __post_init__(self) -> None:
        self.name = f"cv2web_load_{secrets.token_hex(4)}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="cv2web-load-"))
        self.log_dir = self.data_dir / "logs"
        self.log_dir.mkdir()
        self.ports: list[int] = []
        self.procs: dict[str, subprocess.Popen] = {}
        self.seed: dict = {}
        self.env = self._environment()

    @property
    def db_url(self) -> str:
        return f"{PG}/{self.name}"

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.ports]

    def _environment(self) -> dict[str, str]:
        drop = ("PYTEST", "DJANGO_SETTINGS", "DEBUG")
        env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        env |= {
            "DJANGO_SETTINGS_MODULE": "cv2web.settings",
            "PYTHONUNBUFFERED": "1",
            "DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.db_url,
            "CACHE_URL": f"{REDIS}/{self.redis_db}",
            "Q_BROKER": f"{REDIS}/{self.redis_db + 1}",
            "Q_WORKERS": str(self.q_workers),
            "WEB_CONCURRENCY": str(self.web_workers),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # The load generator stands for the load balancer: one trusted hop,
            # each simulated person with an address of its own.
            "TRUSTED_PROXY_COUNT": "1",
            "EXTRACTOR": "local",
            "LOG_LEVEL": "WARNING",
            "EMAIL_URL": "consolemail://",
        }
        return env | self.extra_env

    def manage(self, *args: str, timeout: float = 600, env: dict | None = None) -> str:
        out = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env | (env or {}),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if out.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stderr[-3000:]}")
        return out.stdout

    def _static_files(self) -> None:
        """collectstatic (minutes: whitenoise compresses every file) once per
        state of the static sources, then a copy into this run's DATA_DIR."""
        import importlib.metadata as md

        h = hashlib.sha256()
        for name in ("django", "whitenoise", "drf-spectacular-sidecar", "djangorestframework"):
            h.update(f"{name}={md.version(name)};".encode())
        for path in sorted((REPO / "static").rglob("*")):
            if path.is_file():
                st = path.stat()
                h.update(f"{path.relative_to(REPO)}:{st.st_size}:{st.st_mtime_ns};".encode())
        cache = REPO / "data" / "load-static" / h.hexdigest()[:16]
        if not (cache / "staticfiles.json").exists():
            staging = Path(tempfile.mkdtemp(prefix="cv2web-static-"))
            self.manage("collectstatic", "--noinput", "-v", "0", env={"DATA_DIR": str(staging)})
            cache.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(cache, ignore_errors=True)
            shutil.move(str(staging / "static"), cache)
            shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(cache, self.data_dir / "static")

    def _flush_redis(self) -> None:
        import redis

        for db in (self.redis_db, self.redis_db + 1):
            redis.Redis.from_url(f"{REDIS}/{db}").flushdb()

    def _spawn(self, label: str, args: list[str], env: dict[str, str]) -> None:
        log = open(self.log_dir / f"{label}.log", "wb")  # noqa: SIM115 - closed with the process
        self.procs[label] = subprocess.Popen(
            args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def start(self) -> Deployment:
        with pg_admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self._flush_redis()
        self.manage("migrate", "--noinput", "-v", "0")
        self._static_files()
        self.manage("setup_schedules")
        code = SEED % {
            "recruiters": self.recruiters,
            "portfolios": self.seed_portfolios,
            "samples": str(self.samples or "/nonexistent"),
        }
        line = [x for x in self.manage("shell", "-c", code).splitlines() if x.startswith("SEED ")]
        self.seed = json.loads(line[-1][5:])
        for i in range(self.web_nodes):
            port = free_port()
            self.ports.append(port)
            self._spawn(
                f"web{i + 1}",
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                self.env | {"GUNICORN_BIND": f"127.0.0.1:{port}", "PORT": str(port)},
            )
        for i in range(self.worker_nodes):
            self._spawn(f"worker{i + 1}", [sys.executable, "manage.py", "qcluster"], self.env)
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 120) -> None:
        """Until every web node's /readyz says ready (database, cache, a worker's beat)."""
        deadline = time.monotonic() + timeout
        for url in self.urls:
            while True:
                self._check_alive()
                try:
                    with urllib.request.urlopen(url + "/readyz", timeout=5) as r:
                        if r.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{url}/readyz not ready after {timeout} s; logs in {self.log_dir}"
                    )
                time.sleep(0.5)

    def _check_alive(self) -> None:
        for label, proc in self.procs.items():
            if proc.poll() is not None:
                tail = (self.log_dir / f"{label}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{label} exited with {proc.returncode}:\n{tail}")

    def query(self, sql: str, *params) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.db_url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def stop(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            # The whole group: qcluster's sentinel and workers, gunicorn's workers.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        with contextlib.suppress(Exception), pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        with contextlib.suppress(Exception):
            self._flush_redis()
        if not self.keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Deployment:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
