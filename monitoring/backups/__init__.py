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
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from extraction import crypto

from ..models import JobRun

log = logging.getLogger("cv2web.backups")

# 2: the file is sealed (`encrypted`, `plaintext_size`, `plaintext_sha256`).
MANIFEST_FORMAT = 2
PREFIX = "cv2web-"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
NAME_RE = re.compile(r"^cv2web-(\d{8}T\d{6}Z)(?:-(\d+))?\.(sqlite3|pgdump)$")
TEMP_PREFIX = ".cv2web-partial-"
# A temporary file older than this belongs to a backup that died half-way.
STALE_TEMP = timedelta(hours=24)
# libpq reads these from the environment; OPTIONS keys of the same meaning.
PG_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class BackupError(Exception):
    """A backup or restore refused or failed; the message is for a person."""


# --- Where things are ----------------------------------------------------------


def _db() -> dict:
    # The connection's own settings: under tests they name the test database.
    return connections["default"].settings_dict


def engine() -> str:
    """'sqlite' or 'postgresql' (the configured database's vendor)."""
    vendor = connections["default"].vendor
    if vendor not in SUFFIXES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _sqlite_path() -> Path:
    name = str(_db()["NAME"])
    if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        raise BackupError("The configured SQLite database lives in memory: nothing to back up.")
    return Path(name)


def backup_dir() -> Path:
    return Path(settings.BACKUP_DIR)


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def list_backups(directory: Path | None = None) -> list[Path]:
    """Finished backups in BACKUP_DIR, oldest first."""
    directory = directory or backup_dir()
    if not directory.is_dir():
        return []
    found = []
    for entry in directory.iterdir():
        match = NAME_RE.match(entry.name)
        if match and entry.is_file():
            found.append(((match.group(1), int(match.group(2) or 0)), entry))
    return [path for _, path in sorted(found)]


def _new_name(now: datetime, directory: Path, suffix: str) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{PREFIX}{stamp}{suffix}"
    n = 0
    # Two backups within one second (by hand) get -1, -2, … rather than clash.
    while path.exists() or manifest_path(path).exists():
        n += 1
        path = directory / f"{PREFIX}{stamp}-{n}{suffix}"
    return path


# --- PostgreSQL tools ----------------------------------------------------------


def pg_tool(name: str) -> str:
    """The path of `pg_dump` / `pg_restore`, or a BackupError saying it is missing."""
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools "
            f"(Debian: apt-get install postgresql-client-<server major version>) "
            f"whose major version matches the database server's."
        )
    return found


def _pg_env() -> dict[str, str]:
    """libpq connection settings for the configured database.

    Everything goes through the environment so that the password never
    appears in a process listing (argv is world-readable).
    """
    db = _db()
    env = dict(os.environ)
    values = {
        "PGDATABASE": db.get("NAME") or "",
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
    }
    for key, var in PG_OPTION_ENV.items():
        value = (db.get("OPTIONS") or {}).get(key)
        if value not in (None, ""):
            values[var] = str(value)
    for var, value in values.items():
        if value:
            env[var] = value
    return env


def _run_pg(argv: list[str], what: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, env=_pg_env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        detail = "\n".join(proc.stderr.strip().splitlines()[-5:]) or f"exit code {proc.returncode}"
        raise BackupError(f"{what} failed: {detail}")
    return proc


# --- Files ---------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private_file(directory: Path, suffix: str) -> Path:
    """An empty file only the owner can read: backups hold personal data."""
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=directory)
    os.close(fd)  # mkstemp creates it with mode 0600
    return Path(name)


def _private_temp_dir(prefix: str) -> tempfile.TemporaryDirectory:
    """A folder (mode 0700) in TMP_DIR for a plaintext dump, removed on exit.

    Not BACKUP_DIR: that folder is copied to other machines, and a plaintext
    file caught there by the copy would leave with it."""
    tmp = Path(settings.TMP_DIR)
    tmp.mkdir(parents=True, exist_ok=True, mode=0o700)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=tmp)


def _seal_file(plain: Path, target: Path) -> None:
    with plain.open("rb") as src, target.open("wb") as dst:
        crypto.seal_stream(src, dst)


def _open_file(path: Path, target: Path, name: str) -> None:
    """Decrypt the backup `path` into a new private file `target`."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            crypto.open_stream(src, dst)
    except crypto.DecryptionError as exc:
        target.unlink(missing_ok=True)
        hint = (
            ""
            if settings.ENCRYPTION_KEYS
            else " ENCRYPTION_KEYS is not set: only the development key derived from "
            "SECRET_KEY was tried."
        )
        raise BackupError(
            f"{name} cannot be decrypted: {exc}{hint} Set ENCRYPTION_KEYS to include the key "
            f"that was first when the backup was taken. Nothing was restored."
        ) from None


def _is_sealed(path: Path) -> bool:
    with path.open("rb") as fh:
        return crypto.is_sealed_stream(fh.read(len(crypto.STREAM_MAGIC)))


def _remove_stale_temps(directory: Path) -> None:
    cutoff = time.time() - STALE_TEMP.total_seconds()
    for entry in directory.glob(f"{TEMP_PREFIX}*"):
        try:
            if entry.stat().st_mtime < cutoff:
                entry.unlink()
        except FileNotFoundError:
            pass


def _latest_migrations(rows) -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in rows:
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


# --- Backup --------------------------------------------------------------------


def _dump_sqlite(target: Path) -> dict[str, str]:
    """Copy the live database into `target`; returns its migration state."""
    source = _sqlite_path()
    if not source.exists():
        raise BackupError(f"The SQLite database {source} does not exist.")
    # A connection of our own sees committed data only. One backup step
    # (pages=-1) copies a consistent snapshot under a read lock; in WAL mode
    # writers go on meanwhile.
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # A self-contained file: no -wal beside it, whatever the source used.
        dst.execute("PRAGMA journal_mode=DELETE")
        try:
            rows = dst.execute("SELECT app, name FROM django_migrations").fetchall()
        except sqlite3.OperationalError:
            rows = []
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup failed: {exc}") from exc
    finally:
        dst.close()
        src.close()
    return _latest_migrations(rows)


def _dump_postgresql(target: Path) -> dict[str, str]:
    pg_dump = pg_tool("pg_dump")
    # Read before the dump: a migration running in between would show up as
    # a difference, and nobody migrates at 02:00 anyway.
    migrations = _applied_migrations()
    _run_pg([pg_dump, "--format=custom", "--no-password", f"--file={target}"], "pg_dump")
    return migrations


def _applied_migrations() -> dict[str, str]:
    try:
        applied = MigrationRecorder(connections["default"]).applied_migrations()
    except DatabaseError:
        return {}
    return _latest_migrations(applied.keys())


def _database_size() -> int:
    if engine() == "sqlite":
        path = _sqlite_path()
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])


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


# --- Verify and restore ----------------------------------------------------------


def read_manifest(path: Path) -> dict:
    mpath = manifest_path(path)
    if not mpath.is_file():
        raise BackupError(
            f"{path.name} has no manifest ({mpath.name}) beside it, so it is not a backup "
            f"made by backup_db (or its manifest was lost): refusing to restore it."
        )
    try:
        manifest = json.loads(mpath.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BackupError(f"The manifest {mpath.name} cannot be read: {exc}") from exc
    required = {"engine": str, "size": int, "sha256": str, "created_at": str}
    if not isinstance(manifest, dict) or any(
        not isinstance(manifest.get(key), kind) for key, kind in required.items()
    ):
        raise BackupError(f"The manifest {mpath.name} is not a backup manifest.")
    return manifest


def _check_file(path: Path, manifest: dict, name: str) -> None:
    """Size and checksum against the manifest: a truncated or altered file stops here."""
    size = path.stat().st_size
    if size != manifest["size"]:
        raise BackupError(
            f"{name} is {size} bytes but its manifest says {manifest['size']}: the file "
            f"is truncated or damaged. Nothing was restored."
        )
    if _sha256(path) != manifest["sha256"]:
        raise BackupError(
            f"{name} does not match the checksum in its manifest: the file was altered "
            f"or damaged. Nothing was restored."
        )


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _check_sqlite_copy(copy: Path) -> None:
    try:
        conn = _read_only(copy)
        try:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            django = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                ("django_migrations",),
            ).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"The backup is not a usable SQLite database: {exc}.") from exc
    if result != ["ok"]:
        raise BackupError("The backup failed SQLite's integrity check: " + "; ".join(result[:5]))
    if not django:
        # An empty file is a valid, empty SQLite database: restoring it would
        # wipe everything.
        raise BackupError("The backup holds no cv2web database (no django_migrations table).")


def _resolve(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists() and not path.is_absolute() and (backup_dir() / path).exists():
        path = backup_dir() / path  # a bare name from the listing of BACKUP_DIR
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    return path


def _check_plaintext(plain: Path, manifest: dict, name: str) -> None:
    """The decrypted file against the manifest's plaintext size and checksum."""
    if "plaintext_sha256" not in manifest:
        return
    if (
        plain.stat().st_size != manifest.get("plaintext_size")
        or _sha256(plain) != manifest["plaintext_sha256"]
    ):
        raise BackupError(
            f"{name} decrypts to something other than what its manifest describes: the "
            f"backup or its manifest was altered. Nothing was restored."
        )


def _check_sealing(path: Path, manifest: dict) -> bool:
    """Whether the backup is sealed; refuses a manifest and file that disagree."""
    sealed = _is_sealed(path)
    if manifest.get("encrypted") and not sealed:
        raise BackupError(
            f"{path.name} is not encrypted, but its manifest says it was: it was replaced "
            f"or damaged. Nothing was restored."
        )
    return sealed


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


def _close_django_connections() -> None:
    conn = connections["default"]
    conn.close()
    # Pooled PostgreSQL connections may hold prepared statements for tables
    # the restore replaces: start afresh.
    close_pool = getattr(conn, "close_pool", None)
    if close_pool is not None:
        close_pool()


def _restore_sqlite(source: Path) -> None:
    target = _sqlite_path()
    src = _read_only(source)
    # The backup API writes the whole destination in one transaction: a
    # failure half-way leaves the old data as it was.
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
        if dst.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite restore failed, the database is unchanged: {exc}") from exc
    finally:
        dst.close()
        src.close()


def _restore_postgresql(source: Path) -> None:
    pg_restore = pg_tool("pg_restore")
    db = _db()["NAME"]
    _run_pg(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={db}",
            str(source),
        ],
        "pg_restore (the database is unchanged: it ran in one transaction)",
    )


def _pending_migrations(manifest: dict) -> list[str]:
    """Migrations the code has that the restored database lacks."""
    have = manifest.get("migrations") or {}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(
        f"{app}.{name}" for app, name in loader.graph.leaf_nodes() if have.get(app, "") < name
    )


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


# --- Key rotation ------------------------------------------------------------------


class _HashingSink:
    """A file-like object that only hashes and counts what is written to it."""

    def __init__(self) -> None:
        self.digest, self.size = hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return len(data)


def reseal(*, dry_run: bool = False, batch_size: int = 0) -> Counter[str]:
    """Seal every backup in BACKUP_DIR with the first key of ENCRYPTION_KEYS.

    Part of `manage.py rotate_encryption_keys` (registered by MonitoringConfig):
    backups taken under an old key are re-encrypted, and unencrypted ones (from
    before encryption) sealed, so that dropping the old key loses no backup.
    Counts by outcome as the command prints them: "rotated", "sealed",
    "current", "missing" (no readable manifest: restore refuses it anyway) and
    "unreadable" (no key opens it, or it does not match its manifest; left
    exactly as it is). `batch_size` is accepted for the command's sake.
    """
    counts: Counter[str] = Counter()
    for path in list_backups():
        counts[_reseal_one(path, dry_run)] += 1
    return counts


def _reseal_one(path: Path, dry_run: bool) -> str:
    try:
        manifest = read_manifest(path)
    except BackupError:
        return "missing"
    sealed = _is_sealed(path)
    if sealed:
        with path.open("rb") as fh:
            if crypto.stream_is_current(fh):
                return "current"
    try:
        _check_sealing(path, manifest)
        _check_file(path, manifest, path.name)
        if dry_run:
            if sealed:
                _verify_plaintext(path, manifest)
            return "rotated" if sealed else "sealed"
        with _private_temp_dir(".cv2web-rotate-") as work:
            plain = path
            if sealed:
                plain = Path(work) / "backup"
                _open_file(path, plain, path.name)
                _check_plaintext(plain, manifest, path.name)
            _replace_sealed(path, manifest, plain)
    except BackupError as exc:
        log.error("backup %s left as it is: %s", path.name, exc)
        return "unreadable"
    return "rotated" if sealed else "sealed"


def _verify_plaintext(path: Path, manifest: dict) -> None:
    sink = _HashingSink()
    try:
        with path.open("rb") as src:
            crypto.open_stream(src, sink)
    except crypto.DecryptionError as exc:
        raise BackupError(f"{path.name} cannot be decrypted: {exc}") from None
    if "plaintext_sha256" in manifest and (
        sink.size != manifest.get("plaintext_size")
        or sink.digest.hexdigest() != manifest["plaintext_sha256"]
    ):
        raise BackupError(f"{path.name} decrypts to something other than its manifest says.")


def _replace_sealed(path: Path, manifest: dict, plain: Path) -> None:
    """Put `plain` sealed with the first key in place of the backup `path`."""
    directory = path.parent
    temp = _private_file(directory, path.suffix)
    temp_manifest: Path | None = None
    try:
        _seal_file(plain, temp)
        _fsync(temp)
        updated = {
            **manifest,
            "format": MANIFEST_FORMAT,
            "size": temp.stat().st_size,
            "sha256": _sha256(temp),
            "encrypted": True,
            "plaintext_size": manifest.get("plaintext_size", manifest["size"]),
            "plaintext_sha256": manifest.get("plaintext_sha256", manifest["sha256"]),
        }
        temp_manifest = _private_file(directory, ".json")
        temp_manifest.write_text(json.dumps(updated, indent=2) + "\n")
        _fsync(temp_manifest)
        # Two renames: a crash between them leaves a file its manifest does not
        # describe, which restore refuses rather than trusts; the data itself
        # is whole either way and opens with the listed keys.
        os.replace(temp, path)
        os.replace(temp_manifest, manifest_path(path))
        _fsync(directory)
    except BaseException:
        temp.unlink(missing_ok=True)
        if temp_manifest is not None:
            temp_manifest.unlink(missing_ok=True)
        raise
