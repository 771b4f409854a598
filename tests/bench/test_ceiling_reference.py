"""The reference app of bench/ceiling.py starts under its gunicorn settings
(the project's gunicorn.conf.py minus the project's own choices) and answers.

The project's post_worker_init hook starts its SQLite checkpointer, which
reads a setting the reference app has not got: every worker failed to boot
and the benchmark stopped before measuring anything."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.net import free_port, wait_for_http
from tests.processes import child_env, stop_group

ROOT = Path(__file__).resolve().parents[2]


def test_the_reference_app_boots_and_answers(tmp_path):
    port = free_port()
    env = child_env(
        {
            "DJANGO_SETTINGS_MODULE": "bench.ceiling_ref.settings",
            "CEILING_REF_STATIC": str(tmp_path),
            "CEILING_REF_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
        },
        secrets=False,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "bench/ceiling_ref/gunicorn_ref.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/bare", timeout=30)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/bare", timeout=5) as r:
            assert r.status == 200
    finally:
        stop_group(proc)
        proc.stderr.close()
