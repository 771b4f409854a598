"""Running manage.py in a process of its own: what start-up refuses, and
commands' exit codes and messages, are only seen from outside."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO


def manage(
    *args: str,
    env: dict[str, str] | None = None,
    drop: tuple[str, ...] = ("PYTEST",),
    timeout: int = 60,
) -> subprocess.CompletedProcess:
    """`python manage.py ARGS` with this environment, minus variables starting with `drop`."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
