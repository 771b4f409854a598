"""Verifying and restoring a backup: everything is checked before the database
is touched, and the restore is all or nothing."""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import DatabaseError
from django.utils import timezone

from ..models import JobRun
from .database import (
    _check_sqlite_copy,
    _close_django_connections,
    _pending_migrations,
    _restore_postgresql,
    _restore_sqlite,
    _run_pg,
    _sqlite_path,
    engine,
    pg_tool,
)
from .files import (
    BackupError,
    _check_file,
    _check_plaintext,
    _check_sealing,
    _open_file,
    _private_temp_dir,
    backup_dir,
    read_manifest,
)

log = logging.getLogger("cv2web.backups")


def _resolve(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists() and not path.is_absolute() and (backup_dir() / path).exists():
        path = backup_dir() / path  # a bare name from the listing of BACKUP_DIR
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    return path


@contextmanager
def _verified(path: str | Path) -> Iterator[tuple[Path, dict]]:
    """Check a backup completely; yields the file to restore from and its manifest.

    That file is a private decrypted (or, for an unencrypted SQLite backup,
    copied) file, checked after it was written, so what is restored is exactly
    what was checked.
    """
    path = _resolve(path)
    manifest = read_manifest(path)
    kind = engine()
    if manifest["engine"] != kind:
        raise BackupError(
            f"{path.name} is a {manifest['engine']} backup but the configured database is "
            f"{kind}: refusing to restore it."
        )
    sealed = _check_sealing(path, manifest)
    if kind == "postgresql":
        pg_restore = pg_tool("pg_restore")
        _check_file(path, manifest, path.name)
        with contextlib.ExitStack() as stack:
            source = path
            if sealed:
                work = stack.enter_context(_private_temp_dir(".cv2web-restore-"))
                source = Path(work) / "backup.pgdump"
                _open_file(path, source, path.name)
                _check_plaintext(source, manifest, path.name)
            try:
                listing = _run_pg([pg_restore, "--list", str(source)], "Reading the backup").stdout
            except BackupError as exc:
                raise BackupError(f"{exc}\nThe file is not a usable pg_dump archive.") from exc
            if " django_migrations " not in listing:
                raise BackupError(
                    "The backup holds no cv2web database (no django_migrations table)."
                )
            yield source, manifest
        return
    target = _sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    # The copy sits beside the database: same disk, which has room for it.
    with tempfile.TemporaryDirectory(prefix=".cv2web-restore-", dir=target.parent) as tmp:
        copy = Path(tmp) / "backup.sqlite3"
        if sealed:
            _check_file(path, manifest, path.name)
            _open_file(path, copy, path.name)
            _check_plaintext(copy, manifest, path.name)
        else:
            shutil.copyfile(path, copy)
            _check_file(copy, manifest, path.name)
        _check_sqlite_copy(copy)
        yield copy, manifest


def verify(path: str | Path) -> dict:
    """Check a backup without restoring it; returns its manifest or raises BackupError."""
    with _verified(path) as (_, manifest):
        return manifest


def _close_interrupted_runs() -> int:
    """Job runs that were running when the backup was taken (the backup's own
    run among them) would hold their job's slot: close them."""
    try:
        return JobRun.objects.filter(outcome=JobRun.RunOutcome.RUNNING).update(
            outcome=JobRun.RunOutcome.FAILED,
            finished_at=timezone.now(),
            error="Interrupted: the database was restored from a backup taken during this run.",
        )
    except DatabaseError:  # a backup older than the JobRun table
        return 0


def restore(path: str | Path, confirm: Callable[[dict], bool] | None = None) -> dict:
    """Replace the configured database's contents with a verified backup.

    `confirm(manifest)` is asked after verification and before any change;
    returning False cancels. Raises BackupError for any refusal, with the
    current data untouched.
    """
    started = time.monotonic()
    with _verified(path) as (source, manifest):
        name = manifest.get("file") or Path(path).name
        if confirm is not None and not confirm(manifest):
            return {"restored": False, "file": str(path), "created_at": manifest["created_at"]}
        _close_django_connections()
        if manifest["engine"] == "sqlite":
            _restore_sqlite(source)
        else:
            _restore_postgresql(source)
        _close_django_connections()
    interrupted = _close_interrupted_runs()
    stats = {
        "restored": True,
        "file": str(path),
        "engine": manifest["engine"],
        "encrypted": bool(manifest.get("encrypted")),
        "created_at": manifest["created_at"],
        "size_bytes": manifest["size"],
        "seconds": round(time.monotonic() - started, 3),
        "interrupted_runs_closed": interrupted,
        "unapplied_migrations": _pending_migrations(manifest),
    }
    log.warning("database restored from %s", name, extra={"restore": stats})
    return stats
