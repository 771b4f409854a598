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


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid: int) -> tuple[int, int, int, int, int] | None:
    """(ppid, utime, stime, cutime, cstime) of `pid` in clock ticks from
    /proc/<pid>/stat, or None once it is gone. The command name (field 2) is
    in parentheses and may hold spaces or parentheses: fields are counted
    from after its last ')'."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            text = fh.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    rest = text[text.rindex(")") + 2 :].split()
    # rest[0] is field 3 (state): field n of proc(5) is rest[n - 3].
    ppid, utime, stime, cutime, cstime = (int(rest[i]) for i in (1, 11, 12, 13, 14))
    return ppid, utime, stime, cutime, cstime


def process_tree_cpu(root: int) -> float:
    """CPU seconds (user + system, every thread) spent so far by process `root`
    and its descendants: the live ones from /proc/<pid>/stat, and those already
    exited and reaped (a recycled gunicorn worker) through their parent's
    cutime + cstime. The difference of two readings is what the tree spent in
    between, whatever else loads the machine (resolution: one clock tick per
    process, 10 ms)."""
    stats: dict[int, tuple[int, int, int, int, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _proc_stat(int(entry))
            if st is not None:
                stats[int(entry)] = st
    children: dict[int, list[int]] = {}
    for pid, st in stats.items():
        children.setdefault(st[0], []).append(pid)
    if root not in stats:
        raise ProcessLookupError(root)
    ticks, todo = 0, [root]
    while todo:
        pid = todo.pop()
        _, utime, stime, cutime, cstime = stats[pid]
        ticks += utime + stime + cutime + cstime
        todo += children.get(pid, [])
    return ticks / CLOCK_TICKS


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return 0.0
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]
