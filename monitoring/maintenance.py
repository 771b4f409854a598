"""Weekly database maintenance (SPEC M-4): SQLite VACUUM and ANALYZE, PostgreSQL ANALYZE.

PostgreSQL's autovacuum reclaims space by itself; a weekly ANALYZE keeps the
planner's statistics fresh after bulk deletions by the retention jobs.
SQLite never gives freed pages back to the file system without VACUUM.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.db import connections

log = logging.getLogger(__name__)


def _sqlite_size(name: str) -> int:
    path = Path(name)
    return sum(p.stat().st_size for p in (path, Path(f"{name}-wal")) if p.exists())


# A reader in another connection (a worker's heartbeat, a page being served)
# keeps the checkpoint from truncating the -wal file: it is tried again every
# CHECKPOINT_WAIT_S for up to CHECKPOINT_PATIENCE_S (each try also waits for
# readers up to the connection's busy timeout).
CHECKPOINT_PATIENCE_S = 30.0
CHECKPOINT_WAIT_S = 0.1


def _checkpoint(cursor) -> bool:
    """In WAL mode the rewritten database sits in the -wal file until a
    checkpoint copies it back and truncates the file. The checkpoint answers
    (busy, log frames, checkpointed frames); busy means another connection
    still reads an older snapshot and the file was not truncated. Whether it
    completed."""
    deadline = time.monotonic() + CHECKPOINT_PATIENCE_S
    while True:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        row = cursor.fetchone()
        if row is None or not row[0]:
            return True
        if time.monotonic() + CHECKPOINT_WAIT_S > deadline:
            return False
        time.sleep(CHECKPOINT_WAIT_S)


def run(dry_run: bool = False) -> dict:
    """Run the engine's maintenance statements; returns what was done and how long it took."""
    conn = connections["default"]
    vendor = conn.vendor
    statements = ["VACUUM", "ANALYZE"] if vendor == "sqlite" else ["ANALYZE"]
    stats: dict = {"engine": vendor, "statements": statements}
    if vendor == "sqlite":
        name = str(conn.settings_dict["NAME"])
        stats["size_before_bytes"] = _sqlite_size(name)
    if dry_run:
        return {**stats, "dry_run": True}
    if conn.in_atomic_block:
        # VACUUM cannot run inside a transaction, and a long ANALYZE should
        # not hold one open either.
        raise RuntimeError("Database maintenance must run outside a transaction.")

    started = time.monotonic()
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        if vendor == "sqlite":
            stats["checkpointed"] = _checkpoint(cursor)
            if not stats["checkpointed"]:
                log.warning(
                    "database maintenance: the -wal file was not truncated after VACUUM; "
                    "another connection kept reading for %.0f s",
                    CHECKPOINT_PATIENCE_S,
                )
    stats["seconds"] = round(time.monotonic() - started, 3)
    if vendor == "sqlite":
        stats["size_after_bytes"] = _sqlite_size(name)
        stats["freed_bytes"] = max(stats["size_before_bytes"] - stats["size_after_bytes"], 0)
    return stats
