"""Settings that keep workers safe (docs/traps.md: django-q2's defaults)."""

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


# --- Secrets (SPEC S-2): production never starts on a key anyone can read ---------

FERNET_KEY = "RUT_xtci6Vm1DbQND48Vh2MnIm3e56GQ54ZxB27J0cc="
KEY_50 = "q7Vx2Lm9Rt4Zp1Kw8Nc3Hs6Jd0Fb5Gy" + "e2Ua7Oi4Xr9Tl1Qm6Wz"
assert len(KEY_50) == 50
# Everything that could hand the child a key or DEBUG; each test sets its own.
NO_SECRETS = ("PYTEST", "DJANGO_SETTINGS", "SECRET_KEY", "ENCRYPTION_KEYS", "DEBUG")


def start(tmp_path, **env: str):
    """`manage.py check` (which loads settings and every app) with only `env` set."""
    from tests.processes import manage

    return manage("check", env={"DATA_DIR": str(tmp_path), **env}, drop=NO_SECRETS, secrets=False)


def refused(result, variable: str) -> bool:
    return result.returncode != 0 and (
        f"ImproperlyConfigured: {variable}" in result.stderr.strip().splitlines()[-1]
    )


def test_production_refuses_to_start_with_no_secret_key(tmp_path):
    assert refused(start(tmp_path, ENCRYPTION_KEYS=FERNET_KEY), "SECRET_KEY")


def test_production_refuses_to_start_on_the_development_key(tmp_path):
    result = start(
        tmp_path, SECRET_KEY="django-insecure-cv2web-development-only", ENCRYPTION_KEYS=FERNET_KEY
    )
    assert refused(result, "SECRET_KEY")
    assert "development key" in result.stderr


def test_production_refuses_to_start_on_a_49_character_key(tmp_path):
    result = start(tmp_path, SECRET_KEY=KEY_50[:49], ENCRYPTION_KEYS=FERNET_KEY)
    assert refused(result, "SECRET_KEY")


def test_production_refuses_to_start_without_encryption_keys(tmp_path):
    result = start(tmp_path, SECRET_KEY=KEY_50)
    assert refused(result, "ENCRYPTION_KEYS")


def test_production_starts_with_a_50_character_key_and_an_encryption_key(tmp_path):
    result = start(tmp_path, SECRET_KEY=KEY_50, ENCRYPTION_KEYS=FERNET_KEY)
    assert result.returncode == 0, result.stderr


def test_development_starts_with_nothing_set(tmp_path):
    result = start(tmp_path, DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_the_fallback_key_from_secret_key_is_not_used_with_debug_off(settings):
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from extraction import crypto

    settings.DEBUG = False
    settings.ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="ENCRYPTION_KEYS"):
        crypto.seal(b"cv")


def test_data_sealed_by_the_fallback_stays_readable_with_debug_on(settings):
    from extraction import crypto

    settings.DEBUG = True
    settings.ENCRYPTION_KEYS = []
    sealed = crypto.seal(b"cv from development")
    settings.ENCRYPTION_KEYS = [FERNET_KEY]
    assert crypto.open_sealed(sealed) == b"cv from development"
    assert crypto.is_current(crypto.rotate(sealed))


# --- `make run` on a fresh machine: keys made once in DATA_DIR ---------------------


def local_secrets(data_dir, **env: str):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    environ = {k: v for k, v in os.environ.items() if not k.startswith(NO_SECRETS)}
    return subprocess.run(
        [sys.executable, "scripts/local_secrets.py"],
        cwd=REPO,
        env={**environ, "DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_make_run_keeps_its_keys_in_data_dir_readable_by_its_user_only(tmp_path):
    import stat

    from cryptography.fernet import Fernet

    local_secrets(tmp_path)
    secret, fernet = tmp_path / "secret_key", tmp_path / "encryption_key"
    for path in (secret, fernet):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(secret.read_text().strip()) >= 50
    Fernet(fernet.read_text().strip())  # a valid key
    before = secret.read_text(), fernet.read_text()
    local_secrets(tmp_path)  # made once: a second run keeps them
    assert (secret.read_text(), fernet.read_text()) == before
    # What `make run` runs next (migrate, setup_schedules, ...) starts on them.
    result = start(tmp_path)
    assert result.returncode == 0, result.stderr


def test_keys_set_in_the_environment_win_and_no_file_is_made(tmp_path):
    local_secrets(tmp_path, SECRET_KEY="x" * 60, ENCRYPTION_KEYS=FERNET_KEY)
    assert not (tmp_path / "secret_key").exists()
    assert not (tmp_path / "encryption_key").exists()


def test_a_key_file_others_can_read_is_refused(tmp_path):
    local_secrets(tmp_path)
    (tmp_path / "secret_key").chmod(0o644)
    result = start(tmp_path)
    assert refused(result, str(tmp_path / "secret_key"))
    assert "chmod 600" in result.stderr


def test_the_script_finds_data_dir_where_settings_do(tmp_path):
    """scripts/local_secrets.py cannot import settings (they need its keys)."""
    import importlib.util

    from tests.conftest import REPO

    path = REPO / "scripts" / "local_secrets.py"
    spec = importlib.util.spec_from_file_location("local_secrets", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.data_dir({}) == (REPO / "data").resolve()
    assert module.data_dir({"DATA_DIR": str(tmp_path)}) == tmp_path.resolve()
