"""Database backups and restore (SPEC M-4, D), encrypted at rest (SPEC S-3).

A backup is one file in BACKUP_DIR named for the UTC time it was taken,
`cv2web-20260102T020000Z.sqlite3` (SQLite, a database file made with the
online backup API) or `….pgdump` (PostgreSQL, `pg_dump --format=custom`),
sealed with the first key of ENCRYPTION_KEYS (`crypto.seal_stream`: framed,
so neither sealing nor opening holds the file in memory), with a manifest
beside it (`….json`: engine, time, size and SHA-256 of the file as stored,
size and SHA-256 of the plaintext, the migration state). The plaintext dump is
written to TMP_DIR (mode 0600; never to BACKUP_DIR, which is copied off the
machine) and removed as soon as it is sealed. Files are written under a
temporary name and renamed when complete, so a crash never leaves something
that looks like a backup.

`restore(path)` checks everything it can before it touches the database:
the manifest's size and checksum (a truncated or altered file), the engine,
the decryption of every frame (a wrong or missing key) into a private file and
its plaintext checksum, and the file itself (SQLite `PRAGMA integrity_check`,
PostgreSQL `pg_restore --list`). The restore then happens in one transaction:
all or nothing. Backups made before encryption (manifest format 1, without
`encrypted`) are restored as they are, and sealed by `rotate_encryption_keys`.

Modules: `files` (names, manifests, private files, sealing), `database`
(SQLite and PostgreSQL: dump, check, restore), `creation` (`backup`),
`restoration` (`verify`, `restore`) and `rotation` (`reseal`). The names below
are what the rest of the project imports from `monitoring.backups` (the
schedule runs `monitoring.backups.backup`).
"""

from __future__ import annotations

from .creation import backup
from .database import PG_OPTION_ENV, engine, pg_tool
from .database import _pg_env as _pg_env  # private: its test reads the environment it builds
from .files import (
    MANIFEST_FORMAT,
    NAME_RE,
    PREFIX,
    STALE_TEMP,
    SUFFIXES,
    TEMP_PREFIX,
    BackupError,
    backup_dir,
    list_backups,
    manifest_path,
    read_manifest,
)
from .restoration import restore, verify
from .rotation import reseal

__all__ = [
    "MANIFEST_FORMAT",
    "NAME_RE",
    "PG_OPTION_ENV",
    "PREFIX",
    "STALE_TEMP",
    "SUFFIXES",
    "TEMP_PREFIX",
    "BackupError",
    "backup",
    "backup_dir",
    "engine",
    "list_backups",
    "manifest_path",
    "pg_tool",
    "read_manifest",
    "reseal",
    "restore",
    "verify",
]
