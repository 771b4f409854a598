"""Weekly database maintenance (SPEC M-4): SQLite VACUUM and ANALYZE, PostgreSQL ANALYZE."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from monitoring import maintenance
from monitoring.models import AuditLog

ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").split(":")[0] in (
    "postgres",
    "postgresql",
    "pgsql",
)
only_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL")
only_sqlite = pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite only")


def _fill_and_empty(rows: int = 2000) -> None:
    AuditLog.objects.bulk_create(
        AuditLog(action="bulk", details={"padding": "x" * 1000}) for _ in range(rows)
    )
    AuditLog.objects.filter(action="bulk").delete()


def _free_pages() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA freelist_count")
        return cursor.fetchone()[0]


@only_sqlite
@pytest.mark.django_db(transaction=True)
def test_sqlite_vacuum_gives_freed_space_back_and_analyze_records_statistics():
    _fill_and_empty()
    assert _free_pages() > 0

    stats = maintenance.run()

    assert stats["statements"] == ["VACUUM", "ANALYZE"]
    assert stats["size_after_bytes"] < stats["size_before_bytes"]
    assert stats["freed_bytes"] > 0
    assert _free_pages() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone()[0] == 1


@only_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_reader_in_another_connection_delays_the_checkpoint_but_the_space_is_given_back():
    # Another connection (a worker's heartbeat, a page being served) reads an
    # old snapshot while VACUUM runs: the first checkpoint cannot truncate the
    # -wal file, which holds the whole rewritten database; it is tried again
    # once the reader is done.
    import sqlite3
    import threading

    _fill_and_empty()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        busy_timeout = cursor.fetchone()[0]
        # the checkpoint waits for readers this long, then answers "busy"
        cursor.execute("PRAGMA busy_timeout = 100")
    reader = sqlite3.connect(str(connection.settings_dict["NAME"]), check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM monitoring_auditlog").fetchone()
    done = threading.Timer(1.0, reader.commit)
    done.start()
    try:
        stats = maintenance.run()
    finally:
        done.join()
        reader.close()
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout)}")

    assert stats["checkpointed"] is True
    assert stats["size_after_bytes"] < stats["size_before_bytes"]
    assert _free_pages() == 0


@only_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_reader_that_never_lets_go_is_reported_not_waited_for_forever(monkeypatch, caplog):
    import sqlite3

    monkeypatch.setattr(maintenance, "CHECKPOINT_PATIENCE_S", 0.3)
    _fill_and_empty()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        busy_timeout = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout = 50")
    reader = sqlite3.connect(str(connection.settings_dict["NAME"]))
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM monitoring_auditlog").fetchone()
    try:
        with caplog.at_level("WARNING", logger="monitoring.maintenance"):
            stats = maintenance.run()
    finally:
        reader.close()
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout)}")

    assert stats["checkpointed"] is False
    assert stats["seconds"] < 10
    assert "was not truncated" in caplog.text


@only_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_sqlite_dry_run_changes_nothing():
    _fill_and_empty()
    free = _free_pages()

    stats = maintenance.run(dry_run=True)

    assert stats["dry_run"] is True
    assert stats["statements"] == ["VACUUM", "ANALYZE"]
    assert stats["size_before_bytes"] > 0
    assert "size_after_bytes" not in stats
    assert _free_pages() == free


@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_postgresql_analyze_refreshes_the_planner_statistics():
    AuditLog.objects.bulk_create(AuditLog(action="row") for _ in range(37))

    stats = maintenance.run()

    assert stats["statements"] == ["ANALYZE"]
    assert stats["seconds"] >= 0
    with connection.cursor() as cursor:
        # ANALYZE writes reltuples into the catalog itself (not the lagging
        # statistics views).
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'monitoring_auditlog'")
        assert cursor.fetchone()[0] == 37


@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_postgresql_dry_run_says_what_it_would_do():
    stats = maintenance.run(dry_run=True)

    assert stats == {"engine": "postgresql", "statements": ["ANALYZE"], "dry_run": True}


@pytest.mark.django_db
def test_maintenance_refuses_to_run_inside_a_transaction():
    # pytest-django wraps this test in one, as a caller inside atomic() would.
    with pytest.raises(RuntimeError, match="outside a transaction"):
        maintenance.run()


@pytest.mark.django_db(transaction=True)
def test_the_maintenance_job_records_its_statistics():
    from monitoring import jobs

    record = jobs.run("database maintenance")

    assert record.outcome == record.RunOutcome.SUCCEEDED
    assert record.stats["engine"] == connection.vendor
