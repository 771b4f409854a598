"""SQLite's WAL checkpoints off the request path (the embedded default).

In WAL mode every commit appends pages to `<db>-wal`; once it holds
`wal_autocheckpoint` pages (1,000 by default), the commit that crossed the line
copies them back into the database file and syncs it, inside whatever request
made that commit. With a cache hit writing some 25 pages, one write request in
about thirty paid for a checkpoint: several milliseconds, the slowest twentieth
of every write endpoint (issue 13, measured with bench/upload.py).

A web or worker process here starts one `Checkpointer` thread instead: it looks
at the WAL file every SQLITE_CHECKPOINT_INTERVAL_S and, when it changed, runs a
PASSIVE checkpoint on a connection of its own, which waits for no reader and no
writer (requests go on appending meanwhile; several processes' threads race
harmlessly, a busy checkpoint is tried again at the next look). The process's
own connections then checkpoint only as a backstop, past
SQLITE_WAL_AUTOCHECKPOINT_PAGES (the thread stopped, or far behind).
Processes that start no thread (management commands, tests) keep SQLite's
default. PostgreSQL needs none of this: `start` does nothing there.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created

log = logging.getLogger("cv2web.walcheckpoint")


class Checkpointer(threading.Thread):
    """Checkpoints the database at `path` (PASSIVE) whenever its WAL file
    changed since the last look, every `interval` seconds, until `stop()`."""

    def __init__(self, path: str | Path, interval: float) -> None:
        super().__init__(name="cv2web-wal-checkpoint", daemon=True)
        self.path = str(path)
        self.wal = self.path + "-wal"
        self.interval = interval
        self.checkpoints = 0
        self._stopped = threading.Event()
        self._seen: tuple[int, int] | None = None

    def run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._stopped.wait(self.interval):
                try:
                    stat = os.stat(self.wal)
                except FileNotFoundError:
                    continue
                seen = (stat.st_mtime_ns, stat.st_size)
                if seen == self._seen:
                    continue
                try:
                    if conn is None:
                        conn = sqlite3.connect(self.path, timeout=0, check_same_thread=False)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # busy (another checkpoint), or gone
                    log.debug("WAL checkpoint of %s not made now: %s", self.path, exc)
                    continue
                self._seen = seen
                self.checkpoints += 1
        finally:
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        self._stopped.set()


_running: tuple[int, Checkpointer] | None = None
_lock = threading.Lock()


def running() -> Checkpointer | None:
    """This process's checkpointer, if it started one."""
    if _running is not None and _running[0] == os.getpid():
        return _running[1]
    return None


def _backstop(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA wal_autocheckpoint={int(settings.SQLITE_WAL_AUTOCHECKPOINT_PAGES)}")


def _on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite" and running() is not None:
        _backstop(connection)


def start(using: str = "default") -> Checkpointer | None:
    """Start this process's checkpointer for the SQLite database `using` (once
    per process; None for another database, an in-memory one, or with
    SQLITE_CHECKPOINT_INTERVAL_S set to 0)."""
    global _running
    conn = connections[using]
    interval = float(settings.SQLITE_CHECKPOINT_INTERVAL_S)
    name = str(conn.settings_dict.get("NAME") or "")
    if conn.vendor != "sqlite" or interval <= 0 or conn.is_in_memory_db():
        return None
    with _lock:
        current = running()
        if current is not None:
            return current
        thread = Checkpointer(name, interval)
        thread.start()
        _running = (os.getpid(), thread)
    connection_created.connect(_on_connection_created, dispatch_uid="cv2web.walcheckpoint")
    if conn.connection is not None:  # opened before: this thread's own
        _backstop(conn)
    return thread
