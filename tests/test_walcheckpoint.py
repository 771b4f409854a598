"""cv2web.walcheckpoint: SQLite's WAL checkpointed by a thread, not by the
request whose commit fills it (issue 13)."""

from __future__ import annotations

import importlib.util
import sqlite3
import time
from pathlib import Path

import pytest
from django.db import connection

from cv2web import walcheckpoint

ROOT = Path(__file__).resolve().parent.parent


def writer(path: Path) -> sqlite3.Connection:
    """A connection that never checkpoints by itself."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE IF NOT EXISTS t (x BLOB)")
    return conn


def fill(conn: sqlite3.Connection, megabytes: int = 2) -> None:
    for _ in range(megabytes * 16):
        conn.execute("INSERT INTO t VALUES (?)", [b"x" * 65536])


def wait_for(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_the_thread_copies_the_wal_into_the_database_file(tmp_path):
    db = tmp_path / "db.sqlite3"
    conn = writer(db)
    fill(conn)
    # Nothing checkpointed yet: the rows are in the WAL only.
    assert db.stat().st_size < 1024 * 1024
    thread = walcheckpoint.Checkpointer(db, interval=0.02)
    thread.start()
    try:
        assert wait_for(lambda: db.stat().st_size > 2 * 1024 * 1024)
        done = thread.checkpoints
        time.sleep(0.2)
        assert thread.checkpoints == done  # an unchanged WAL is left alone
        fill(conn, 1)
        assert wait_for(lambda: thread.checkpoints > done)
    finally:
        thread.stop()
        thread.join(5)
    assert not thread.is_alive()
    conn.close()


def test_a_reader_holding_the_wal_does_not_stop_writers_or_the_thread(tmp_path):
    db = tmp_path / "db.sqlite3"
    conn = writer(db)
    fill(conn, 1)
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 16
    thread = walcheckpoint.Checkpointer(db, interval=0.02)
    thread.start()
    try:
        fill(conn, 1)  # writers go on while a checkpoint cannot finish
        assert wait_for(lambda: thread.checkpoints >= 1)
        reader.execute("COMMIT")
        fill(conn, 1)
        assert wait_for(lambda: db.stat().st_size > 2 * 1024 * 1024)
    finally:
        thread.stop()
        thread.join(5)
    reader.close()
    conn.close()


def test_a_missing_database_leaves_the_thread_waiting(tmp_path):
    thread = walcheckpoint.Checkpointer(tmp_path / "none.sqlite3", interval=0.01)
    thread.start()
    time.sleep(0.1)
    assert thread.is_alive() and thread.checkpoints == 0
    thread.stop()
    thread.join(5)
    assert not (tmp_path / "none.sqlite3").exists()


def autocheckpoint() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_started_in_a_process_its_connections_checkpoint_only_past_the_backstop(
    settings, monkeypatch
):
    if connection.vendor != "sqlite":
        assert walcheckpoint.start() is None  # PostgreSQL checkpoints by itself
        return
    monkeypatch.setattr(walcheckpoint, "_running", None)
    assert autocheckpoint() == 1000  # SQLite's own, in a process without the thread
    settings.SQLITE_WAL_AUTOCHECKPOINT_PAGES = 12345
    thread = walcheckpoint.start()
    try:
        assert thread is not None and thread.is_alive()
        assert walcheckpoint.start() is thread and walcheckpoint.running() is thread
        assert thread.path == str(connection.settings_dict["NAME"])
        assert autocheckpoint() == 12345
        connection.close()
        assert autocheckpoint() == 12345  # a new connection of this process too
    finally:
        thread.stop()
        thread.join(5)
        monkeypatch.setattr(walcheckpoint, "_running", None)
        connection.close()
    assert autocheckpoint() == 1000


@pytest.mark.django_db
def test_interval_zero_keeps_sqlites_own_checkpoints(settings, monkeypatch):
    monkeypatch.setattr(walcheckpoint, "_running", None)
    settings.SQLITE_CHECKPOINT_INTERVAL_S = 0
    assert walcheckpoint.start() is None and walcheckpoint.running() is None


def test_each_gunicorn_worker_starts_one(monkeypatch):
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    started = []
    monkeypatch.setattr(walcheckpoint, "start", lambda: started.append(True))
    conf.post_worker_init(worker=None)
    assert started == [True]
