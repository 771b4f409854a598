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

import os
import subprocess
import sys

from tests.conftest import REPO


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
