"""The two databases a backup is taken of: SQLite (its online backup API) and
PostgreSQL (`pg_dump` / `pg_restore`, the password kept out of argv): dump,
check, restore, and the migration state of each."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from .files import SUFFIXES, BackupError

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


def _latest_migrations(rows) -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in rows:
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


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
