"""Shared set-up of the benchmark scripts: Django, the samples folder, the manifest."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# As in tests/conftest.py: shared/cv-samples beside the clone, or $CV_SAMPLES.
DEFAULT_SAMPLES = Path(os.environ.get("CV_SAMPLES") or REPO.parent / "shared" / "cv-samples")


def use_local_keys(environ: dict[str, str] | os._Environ = os.environ) -> None:
    """SECRET_KEY and ENCRYPTION_KEYS as `make run` has them when unset: kept in
    `environ`'s DATA_DIR (settings refuse to start on none, DEBUG being off)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from scripts.local_secrets import ensure

    environ.update(ensure(environ))


def manage_runner(env: dict[str, str]) -> Callable[..., str]:
    """`manage(*args)`: manage.py run with `env` from the repository, its output."""

    def manage(*cmd: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *cmd],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    return manage


def setup_django() -> None:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cv2web.settings")
    use_local_keys()
    import django

    django.setup()


def documents(samples: Path) -> list[tuple[Path, str]]:
    """(path, kind) of every document the manifest lists; kind from the extension."""
    with open(samples / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        path = samples / row["file"]
        out.append((path, path.suffix.lower().lstrip(".")))
    return out


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return 0.0
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]
