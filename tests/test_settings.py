"""Settings that keep workers safe (PITFALLS: django-q2 defaults)."""

from django.conf import settings


def test_a_task_still_running_is_never_handed_out_again():
    q = settings.Q_CLUSTER
    assert q["timeout"] > settings.EXTRACTION_TIMEOUT_S
    assert q["retry"] > q["timeout"] + 10
    assert q["max_attempts"] == 1  # our job table retries, not django-q2
    assert q["ack_failures"] is True
    assert q["catch_up"] is False


def test_the_extraction_lease_outlives_an_attempt():
    assert settings.EXTRACTION_LEASE_S > settings.EXTRACTION_TIMEOUT_S


def test_the_embedded_sqlite_database_runs_in_wal_mode(tmp_path, django_db_blocker):
    """The test run itself uses an in-memory database; open a file with the
    same settings, as `make run` does."""
    import pytest
    from django.db.backends.sqlite3.base import DatabaseWrapper

    config = settings.DATABASES["default"]
    if config["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("this run uses PostgreSQL; the SQLite run checks WAL")
    wrapper = DatabaseWrapper({**config, "NAME": str(tmp_path / "x.sqlite3")}, alias="wal-check")
    with django_db_blocker.unblock():
        try:
            with wrapper.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode")
                assert cursor.fetchone()[0] == "wal"
        finally:
            wrapper.close()


def test_the_embedded_default_passes_djangos_checks_with_the_local_cache(tmp_path):
    """django-ratelimit refuses a local-memory cache with an error that would
    abort migrate and qcluster; the embedded default must still start."""
    from tests.processes import manage

    result = manage(
        "check",
        env={"DATA_DIR": str(tmp_path)},
        drop=("PYTEST", "CACHE_URL", "DATABASE_URL"),
    )
    assert result.returncode == 0, result.stderr
    assert "django_ratelimit.E003" not in result.stdout + result.stderr
