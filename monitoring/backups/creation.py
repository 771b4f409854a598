"""Taking a backup: dump, seal, write beside its manifest, keep the newest
BACKUP_KEEP (or, with `dry_run`, say what would happen)."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .database import _database_size, _dump_postgresql, _dump_sqlite, engine, pg_tool
from .files import (
    MANIFEST_FORMAT,
    SUFFIXES,
    _fsync,
    _new_name,
    _private_file,
    _private_temp_dir,
    _remove_stale_temps,
    _seal_file,
    _sha256,
    backup_dir,
    list_backups,
    manifest_path,
)

log = logging.getLogger("cv2web.backups")


def _to_remove(existing: list[Path], keep: int, adding: int) -> list[Path]:
    """The oldest backups beyond `keep`, counting `adding` new ones."""
    surplus = len(existing) + adding - keep
    return existing[: max(surplus, 0)]


def backup(dry_run: bool = False) -> dict:
    """Back up the configured database into BACKUP_DIR and keep the newest BACKUP_KEEP."""
    started = time.monotonic()
    kind = engine()
    if kind == "postgresql":
        pg_tool("pg_dump")  # a missing tool is reported by the dry run too
    directory = backup_dir()
    keep = settings.BACKUP_KEEP
    now = timezone.now()
    existing = list_backups(directory)

    if dry_run:
        path = _new_name(now, directory, SUFFIXES[kind])
        doomed = _to_remove(existing, keep, adding=1)
        return {
            "dry_run": True,
            "engine": kind,
            "file": str(path),
            # What the database holds now; the file will be about this size
            # (SQLite) or smaller (pg_dump compresses).
            "size_bytes": _database_size(),
            "seconds": round(time.monotonic() - started, 3),
            "kept": min(len(existing) + 1, keep),
            "removed": len(doomed),
            "removed_files": [p.name for p in doomed],
        }

    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    _remove_stale_temps(directory)
    temp = _private_file(directory, SUFFIXES[kind])
    temp_manifest: Path | None = None
    try:
        with _private_temp_dir(".cv2web-backup-") as work:
            plain = Path(work) / f"dump{SUFFIXES[kind]}"
            migrations = _dump_sqlite(plain) if kind == "sqlite" else _dump_postgresql(plain)
            plaintext = {"plaintext_size": plain.stat().st_size, "plaintext_sha256": _sha256(plain)}
            _seal_file(plain, temp)
        _fsync(temp)
        path = _new_name(now, directory, SUFFIXES[kind])
        size = temp.stat().st_size
        manifest = {
            "format": MANIFEST_FORMAT,
            "file": path.name,
            "engine": kind,
            "created_at": now.astimezone(UTC).isoformat(),
            "size": size,
            "sha256": _sha256(temp),
            "encrypted": True,
            **plaintext,
            "migrations": migrations,
        }
        temp_manifest = _private_file(directory, ".json")
        temp_manifest.write_text(json.dumps(manifest, indent=2) + "\n")
        _fsync(temp_manifest)
        # The data first: a backup without its manifest is refused by restore,
        # never mistaken for a good one.
        os.replace(temp, path)
        os.replace(temp_manifest, manifest_path(path))
        _fsync(directory)
    except BaseException:
        temp.unlink(missing_ok=True)
        if temp_manifest is not None:
            temp_manifest.unlink(missing_ok=True)
        raise

    doomed = _to_remove(list_backups(directory), keep, adding=0)
    for old in doomed:
        old.unlink(missing_ok=True)
        manifest_path(old).unlink(missing_ok=True)
    stats = {
        "engine": kind,
        "file": str(path),
        "size_bytes": size,
        "encrypted": True,
        "seconds": round(time.monotonic() - started, 3),
        "kept": len(list_backups(directory)),
        "removed": len(doomed),
        "removed_files": [p.name for p in doomed],
    }
    log.info("backup written %s (%d bytes)", path, size, extra={"backup": stats})
    return stats
