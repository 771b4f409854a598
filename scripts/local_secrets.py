"""The embedded default's keys: a random SECRET_KEY and a Fernet key, made once
per DATA_DIR and kept there in files only this user can read.

`make run` calls this first, so that `migrate`, `collectstatic` and
`setup_schedules` find the keys (settings read `DATA_DIR/secret_key` and
`DATA_DIR/encryption_key` when SECRET_KEY and ENCRYPTION_KEYS are unset);
scripts/serve.py also hands them to gunicorn and qcluster in the environment.
A variable that is set wins and its file is neither made nor read.

This runs before Django: settings refuse to load without the keys.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name of the variable -> (file in DATA_DIR, how to make a value)
KEYS = {
    "SECRET_KEY": ("secret_key", lambda: secrets.token_urlsafe(50)),
    "ENCRYPTION_KEYS": (
        "encryption_key",
        lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    ),
}


def data_dir(environ: dict[str, str] | os._Environ = os.environ) -> Path:
    """DATA_DIR as cv2web/settings.py resolves it (kept in step by tests/test_settings.py)."""
    return Path(environ.get("DATA_DIR", str(ROOT / "data"))).resolve()


def _read_or_make(path: Path, make) -> tuple[str, bool]:
    if path.exists():
        return path.read_text().strip(), False
    # Written whole under a temporary name, then linked into place: a reader
    # never sees half a key, and of two processes starting at once the second
    # finds the first one's key instead of replacing it.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as out:
            out.write(make() + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text().strip(), False
    finally:
        os.unlink(tmp)
    return path.read_text().strip(), True


def ensure(environ: dict[str, str] | os._Environ = os.environ) -> dict[str, str]:
    """The variables that are unset, with values from DATA_DIR's files (made if missing)."""
    folder = data_dir(environ)
    values = {}
    for name, (file, make) in KEYS.items():
        if environ.get(name, "").strip():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        values[name], made = _read_or_make(folder / file, make)
        if made:
            print(f"{name}: made once, kept in {folder / file}", file=sys.stderr)
    return values


if __name__ == "__main__":
    ensure()
