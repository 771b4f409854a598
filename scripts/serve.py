"""Start the web server and one worker cluster together; stop both on Ctrl-C.

Used by `make run`. Both processes get the same environment, so they share
the database (the embedded default: SQLite in DATA_DIR), the broker and the
keys: SECRET_KEY and ENCRYPTION_KEYS when set, else the ones kept in DATA_DIR
(scripts/local_secrets.py, made on the first run).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import local_secrets

ROOT = Path(__file__).resolve().parent.parent


def environment(base: dict[str, str] | os._Environ = os.environ) -> dict[str, str]:
    """What gunicorn and qcluster are started with: `base`, the local keys, and
    readable log lines unless LOG_FORMAT asks otherwise (a deployment keeps
    JSON, the default with DEBUG off; docs/deploy.md, Health checks and logs)."""
    env = {**base, **local_secrets.ensure(base), "PYTHONUNBUFFERED": "1"}
    env["LOG_FORMAT"] = env.get("LOG_FORMAT", "").strip() or "text"
    return env


def main() -> int:
    port = os.environ.get("PORT", "8000")
    python = sys.executable
    env = environment()
    # /metrics adds up the web workers' and the worker cluster's counters when
    # both write to one directory (docs/deploy.md, Monitoring).
    own_metrics_dir = ""
    if not env.get("PROMETHEUS_MULTIPROC_DIR"):
        own_metrics_dir = tempfile.mkdtemp(prefix="cv2web-prometheus-")
        env["PROMETHEUS_MULTIPROC_DIR"] = own_metrics_dir
    # Each child leads its own process group: stopping it reaches everything
    # it started (qcluster forks a sentinel, workers, a pusher and a monitor).
    procs = [
        subprocess.Popen(
            [python, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        ),
        subprocess.Popen(
            [python, "manage.py", "qcluster"], cwd=ROOT, env=env, start_new_session=True
        ),
    ]
    print(f"\n  cv2web is running at http://127.0.0.1:{port}/  (Ctrl-C stops it)\n", flush=True)

    def signal_group(p: subprocess.Popen, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, sig)

    def stop(*_):
        # SIGTERM to each child itself: qcluster stops its own sentinel and
        # workers (signalling its whole group at once leaves it waiting).
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            # Whatever of the group is still there (a worker finishing a job
            # past the grace period, an orphaned sentinel) goes now.
            signal_group(p, signal.SIGKILL)

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop()
    if own_metrics_dir:
        shutil.rmtree(own_metrics_dir, ignore_errors=True)
    return max((p.returncode or 0) for p in procs)


if __name__ == "__main__":
    sys.exit(main())
