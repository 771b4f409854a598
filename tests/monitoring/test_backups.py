"""Backups and restore (SPEC M-4, D; issue 5 acceptance 2).

Runs on the configured engine: SQLite by default, PostgreSQL when
DATABASE_URL names one (the fresh database is then a scratch database with a
unique name, dropped afterwards). Backups read committed data through their
own connection or pg_dump, hence `transaction=True` where data matters.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from extraction import crypto
from extraction.models import Document, ExtractionJob
from monitoring import backups
from monitoring.backups import BackupError
from monitoring.models import AuditLog
from tests.processes import manage

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def vendor() -> str:
    return connections["default"].vendor


only_postgresql = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in ("postgres", "postgresql", "pgsql"),
    reason="needs PostgreSQL (set DATABASE_URL)",
)
only_sqlite = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] in ("postgres", "postgresql", "pgsql"),
    reason="SQLite only",
)


@pytest.fixture(autouse=True)
def backup_dir(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_KEEP = 7
    return settings.BACKUP_DIR


# --- Data ------------------------------------------------------------------------


def make_data() -> None:
    User = get_user_model()
    users = [
        User.objects.create_user(f"user{i}", f"user{i}@example.com", f"pw-user-{i}-xyz")
        for i in range(4)
    ]
    for i in range(12):
        AuditLog.objects.create(
            action=f"test.action{i % 3}",
            category=AuditLog.Category.choices[i % 3][0],
            actor=users[i % 4],
            ip="192.0.2.1",
            details={"n": i, "text": "é ünïcode ✓"},
        )
    for i in range(3):
        doc = Document.objects.create(
            sha256=f"{i:064d}", kind="pdf", size=1000 + i, storage_name=f"doc-{i}.bin"
        )
        ExtractionJob.objects.create(
            document=doc,
            extractor="local",
            fingerprint="f" * 64,
            cache_key=f"key-{i}",
            owner=users[i],
            state="succeeded",
            result={"basics": {"name": f"Person {i}"}},
        )


def change_data() -> None:
    User = get_user_model()
    User.objects.create_user("mallory", "m@example.com", "pw-mallory-1")
    User.objects.filter(username="user0").update(email="changed@example.com")
    AuditLog.objects.filter(action="test.action1").delete()
    AuditLog.objects.create(action="after.backup")
    ExtractionJob.objects.filter(cache_key="key-0").update(state="failed", result=None)
    Document.objects.filter(storage_name="doc-2.bin").delete()  # its job goes too


def snapshot() -> dict:
    User = get_user_model()
    return {
        "counts": {
            m.__name__: m.objects.count() for m in (User, AuditLog, Document, ExtractionJob)
        },
        "users": list(
            User.objects.order_by("username").values_list("username", "email", "password")
        ),
        "audit": list(
            AuditLog.objects.order_by("pk").values_list(
                "pk", "action", "category", "actor__username", "details", "created_at"
            )
        ),
        "jobs": list(
            ExtractionJob.objects.order_by("cache_key").values_list(
                "id", "state", "result", "document__sha256", "owner__username"
            )
        ),
    }


def _close(conn) -> None:
    conn.close()
    if hasattr(conn, "close_pool"):
        conn.close_pool()


@contextmanager
def fresh_database(tmp_path: Path):
    """Point the default connection at a new, empty, unmigrated database."""
    conn = connections["default"]
    original = conn.settings_dict["NAME"]
    _close(conn)
    if conn.vendor == "sqlite":
        conn.settings_dict["NAME"] = str(tmp_path / "fresh.sqlite3")
        try:
            yield
        finally:
            _close(conn)
            conn.settings_dict["NAME"] = original
        return

    import psycopg
    from psycopg import sql

    db = conn.settings_dict
    name = f"cv2web_scratch_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.settings_dict["NAME"] = name
    try:
        yield
    finally:
        _close(conn)
        conn.settings_dict["NAME"] = original
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()


def fake_backup(directory: Path, data: bytes, **manifest) -> Path:
    """A file with a manifest that matches it unless told otherwise."""
    import hashlib

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"cv2web-20260101T020000Z{backups.SUFFIXES[vendor()]}"
    path.write_bytes(data)
    values = {
        "format": 1,
        "file": path.name,
        "engine": vendor(),
        "created_at": "2026-01-01T02:00:00+00:00",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "migrations": {},
    }
    values.update(manifest)
    backups.manifest_path(path).write_text(json.dumps(values))
    return path


def decrypted(path: Path, target: Path) -> Path:
    with path.open("rb") as src, target.open("wb") as dst:
        crypto.open_stream(src, dst)
    return target


# --- Backup and restore ------------------------------------------------------------


def test_a_backup_restored_into_a_fresh_database_matches_what_was_backed_up(tmp_path):
    make_data()
    before = snapshot()
    stats = backups.backup()
    change_data()
    assert snapshot() != before

    with fresh_database(tmp_path):
        assert "django_migrations" not in connections["default"].introspection.table_names()
        result = backups.restore(stats["file"])
        assert snapshot() == before

    assert result["restored"] is True
    assert result["unapplied_migrations"] == []


def test_a_restore_over_the_live_database_returns_it_to_the_backed_up_state():
    make_data()
    before = snapshot()
    stats = backups.backup()
    change_data()

    backups.restore(stats["file"])

    assert snapshot() == before


def test_the_backup_file_and_its_manifest_describe_each_other(backup_dir):
    make_data()
    stats = backups.backup()

    path = Path(stats["file"])
    assert path.parent == backup_dir
    assert backups.NAME_RE.match(path.name)
    manifest = json.loads(backups.manifest_path(path).read_text())
    assert manifest["engine"] == vendor()
    assert manifest["size"] == path.stat().st_size == stats["size_bytes"]
    assert manifest["migrations"]["monitoring"].startswith("00")
    assert "auth" in manifest["migrations"]
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    assert not [p for p in backup_dir.iterdir() if p.name.startswith(".")]
    assert backups.verify(path)["sha256"] == manifest["sha256"]


def test_the_restore_command_restores_without_asking_when_told_to(capsys):
    make_data()
    before = snapshot()
    stats = backups.backup()
    change_data()

    call_command("restore_backup", Path(stats["file"]).name, "--noinput")

    restored = AuditLog.objects.get(action="database.restored")
    assert restored.category == "security"
    assert restored.details["file"] == Path(stats["file"]).name
    restored.delete()
    assert snapshot() == before
    assert "Restored" in capsys.readouterr().out


def test_the_restore_command_changes_nothing_unless_the_answer_is_yes(monkeypatch, capsys):
    make_data()
    stats = backups.backup()
    change_data()
    after = snapshot()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")

    call_command("restore_backup", stats["file"])

    assert snapshot() == after
    assert "cancelled" in capsys.readouterr().out


# --- Bad inputs ------------------------------------------------------------------


def test_a_truncated_backup_is_refused_and_the_data_left_alone():
    make_data()
    stats = backups.backup()
    path = Path(stats["file"])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    change_data()
    after = snapshot()

    with pytest.raises(BackupError, match=f"{path.name} is .* bytes.*truncated"):
        backups.restore(path)
    with pytest.raises(CommandError, match="truncated"):
        call_command("restore_backup", str(path), "--noinput")

    assert snapshot() == after
    assert AuditLog.objects.filter(action="after.backup").count() == 1


def test_the_command_refuses_a_truncated_backup_with_an_exit_code_and_no_traceback(tmp_path):
    path = fake_backup(tmp_path / "elsewhere", b"x" * 10, size=1000)
    proc = manage(
        "restore_backup",
        str(path),
        "--noinput",
        env={"DATA_DIR": str(tmp_path / "data")},
        timeout=120,
    )

    assert proc.returncode != 0
    assert "truncated" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_altered_backup_is_refused(backup_dir):
    make_data()
    stats = backups.backup()
    path = Path(stats["file"])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    count = AuditLog.objects.count()

    with pytest.raises(BackupError, match="checksum"):
        backups.restore(path)
    assert AuditLog.objects.count() == count


def test_a_backup_of_the_other_engine_is_refused():
    make_data()
    stats = backups.backup()
    mpath = backups.manifest_path(Path(stats["file"]))
    manifest = json.loads(mpath.read_text())
    manifest["engine"] = "postgresql" if vendor() == "sqlite" else "sqlite"
    mpath.write_text(json.dumps(manifest))

    with pytest.raises(BackupError, match="configured database is"):
        backups.restore(stats["file"])


def test_a_file_without_a_manifest_is_not_a_backup(backup_dir):
    backup_dir.mkdir()
    path = backup_dir / "something.sqlite3"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)

    with pytest.raises(BackupError, match="no manifest"):
        backups.restore(path)


@pytest.mark.parametrize("data", [b"", b"this is not a database " * 200], ids=["empty", "text"])
def test_a_file_that_is_not_a_database_is_refused_even_with_a_matching_manifest(backup_dir, data):
    make_data()
    count = AuditLog.objects.count()
    path = fake_backup(backup_dir, data)

    with pytest.raises(BackupError, match="not a usable|no cv2web database"):
        backups.restore(path)
    assert AuditLog.objects.count() == count


def test_an_unreadable_manifest_is_refused(backup_dir):
    path = fake_backup(backup_dir, b"data")
    backups.manifest_path(path).write_text("{not json")

    with pytest.raises(BackupError, match="cannot be read"):
        backups.restore(path)


def test_a_missing_file_is_refused(backup_dir):
    with pytest.raises(BackupError, match="no backup file"):
        backups.restore(backup_dir / "cv2web-20260101T020000Z.sqlite3")
    with pytest.raises(CommandError, match="no backup file"):
        call_command("restore_backup", "nowhere.sqlite3", "--noinput")


# --- Keeping, dry runs, tools -------------------------------------------------------


def _backup_at(day: int) -> dict:
    with time_machine.travel(datetime(2026, 3, day, 2, 0, tzinfo=UTC), tick=False):
        return backups.backup()


def test_only_the_newest_backup_keep_backups_are_kept(backup_dir):
    results = [_backup_at(day) for day in range(1, 10)]

    left = backups.list_backups()
    assert [p.name for p in left] == [Path(r["file"]).name for r in results[2:]]
    assert sorted(p.name for p in backup_dir.glob("*.json")) == sorted(
        f"{p.name}.json" for p in left
    )
    assert results[-1]["kept"] == 7
    assert results[-1]["removed"] == 1
    assert results[7]["removed_files"] == [Path(results[0]["file"]).name]


def test_two_backups_in_the_same_second_both_survive(backup_dir):
    first, second = _backup_at(1), _backup_at(1)

    assert first["file"] != second["file"]
    assert [str(p) for p in backups.list_backups()] == [first["file"], second["file"]]


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(settings, backup_dir):
    assert backups.backup(dry_run=True)["removed"] == 0
    assert not backup_dir.exists()

    made = [_backup_at(day) for day in (1, 2, 3)]
    settings.BACKUP_KEEP = 2
    files = sorted(backup_dir.iterdir())

    with time_machine.travel(datetime(2026, 3, 4, 2, 0, tzinfo=UTC), tick=False):
        stats = backups.backup(dry_run=True)

    assert sorted(backup_dir.iterdir()) == files
    assert stats["dry_run"] is True
    assert Path(stats["file"]).name.startswith("cv2web-20260304T020000Z")
    assert stats["removed_files"] == [Path(m["file"]).name for m in made[:2]]
    assert stats["kept"] == 2
    assert stats["size_bytes"] > 0


def test_a_missing_postgresql_tool_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(BackupError, match="pg_dump was not found on PATH"):
        backups.pg_tool("pg_dump")


@only_postgresql
def test_a_postgresql_backup_without_pg_dump_fails_clearly(monkeypatch, tmp_path, backup_dir):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(BackupError, match="pg_dump was not found on PATH"):
        backups.backup()
    with pytest.raises(BackupError, match="pg_dump was not found on PATH"):
        backups.backup(dry_run=True)
    assert not backups.list_backups()


@only_postgresql
def test_a_failing_pg_dump_leaves_nothing_behind(monkeypatch, tmp_path, backup_dir):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    fake.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do case "$a" in --file=*) echo partial > "${a#--file=}";; esac; done\n'
        "echo 'pg_dump: error: connection to server failed' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    with pytest.raises(BackupError, match="connection to server failed"):
        backups.backup()
    assert list(backup_dir.iterdir()) == []


@only_postgresql
def test_the_password_reaches_pg_dump_through_the_environment_only(settings):
    conn = connections["default"]
    original = conn.settings_dict["PASSWORD"]
    conn.settings_dict["PASSWORD"] = "s3cret"
    try:
        env = backups._pg_env()
    finally:
        conn.settings_dict["PASSWORD"] = original
    assert env["PGPASSWORD"] == "s3cret"
    assert env["PGDATABASE"] == conn.settings_dict["NAME"]


@only_sqlite
def test_a_failed_sqlite_backup_leaves_nothing_behind(backup_dir, tmp_path):
    conn = connections["default"]
    original = conn.settings_dict["NAME"]
    conn.settings_dict["NAME"] = str(tmp_path / "missing.sqlite3")
    try:
        with pytest.raises(BackupError, match="does not exist"):
            backups.backup()
    finally:
        conn.settings_dict["NAME"] = original
    assert list(backup_dir.iterdir()) == []


@only_sqlite
def test_a_sqlite_backup_is_a_single_self_contained_file(tmp_path):
    import sqlite3

    make_data()
    path = decrypted(Path(backups.backup()["file"]), tmp_path / "plain.sqlite3")

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT count(*) FROM monitoring_auditlog").fetchone()[0] == 12
    finally:
        conn.close()


def test_a_backup_taken_while_a_job_run_was_running_does_not_block_that_job(backup_dir):
    from monitoring.models import JobRun

    JobRun.objects.create(job="database backup")  # the backup's own run, as jobs.run makes it
    stats = backups.backup()
    JobRun.objects.all().delete()

    result = backups.restore(stats["file"])

    assert result["interrupted_runs_closed"] == 1
    assert not JobRun.objects.filter(outcome=JobRun.RunOutcome.RUNNING).exists()


def test_the_backup_job_records_its_statistics(backup_dir, settings):
    from monitoring import jobs

    record = jobs.run("database backup")

    assert record.outcome == record.RunOutcome.SUCCEEDED
    assert record.stats["kept"] == 1
    assert Path(record.stats["file"]).exists()


# --- Encryption (SPEC S-3, issue 10 item 6) -----------------------------------------

MARKER = "Ottoline Vexworth-Ambrose"
KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def make_data_with_a_marker() -> None:
    """Plaintext columns (an account's e-mail and name, audit details) that only
    the backup's own encryption can hide: the CV columns are sealed anyway."""
    make_data()
    get_user_model().objects.create_user(
        "ottoline", "ottoline.vexworth@example.com", "pw-otto-123", first_name=MARKER
    )
    AuditLog.objects.create(action="test.marker", details={"note": MARKER})


def readable_backup(path: Path) -> str:
    """The file as an attacker without the key reads it: the bytes, and for
    PostgreSQL the SQL that pg_restore makes of it when it can (pg_dump
    compresses table data)."""
    text = path.read_bytes().decode("latin-1")
    if vendor() == "postgresql":
        proc = subprocess.run(["pg_restore", "--file=-", str(path)], capture_output=True)
        text += proc.stdout.decode("utf-8", "replace")
    return text


def test_the_backup_file_holds_no_plaintext_and_restores_with_the_key(settings, tmp_path):
    settings.ENCRYPTION_KEYS = [KEY_A]
    make_data_with_a_marker()
    before = snapshot()
    stats = backups.backup()
    path = Path(stats["file"])

    text = readable_backup(path)
    assert MARKER not in text and "ottoline.vexworth@example.com" not in text
    assert "django_migrations" not in text and "CREATE TABLE" not in text
    manifest = json.loads(backups.manifest_path(path).read_text())
    assert manifest["encrypted"] is True and manifest["format"] == 2
    assert manifest["plaintext_size"] > 0 and len(manifest["plaintext_sha256"]) == 64
    # No plaintext dump is left anywhere the backup wrote.
    assert [p.name for p in Path(settings.TMP_DIR).iterdir() if "backup" in p.name] == []

    change_data()
    with fresh_database(tmp_path):
        backups.restore(path)
        assert snapshot() == before


def test_a_backup_is_sealed_in_frames_and_opened_without_reading_it_whole(settings, tmp_path):
    # A database far larger than memory must not have to fit in it: every read
    # of the plaintext and of the sealed file is one frame.
    settings.ENCRYPTION_KEYS = [KEY_A]
    data = os.urandom(3 * crypto.STREAM_CHUNK + 12345)
    reads = []

    class Recording(io.BytesIO):
        def read(self, size=-1):
            reads.append(size)
            return super().read(size)

    sealed = io.BytesIO()
    crypto.seal_stream(Recording(data), sealed)
    assert reads and all(0 < size <= crypto.STREAM_CHUNK for size in reads)
    out = io.BytesIO()
    reads.clear()
    crypto.open_stream(Recording(sealed.getvalue()), out)
    assert out.getvalue() == data
    assert all(0 < size <= 2 * crypto.STREAM_CHUNK for size in reads)


@pytest.mark.parametrize("damage", ["cut_last_frame", "swap_frames", "other_stream", "flip"])
def test_a_sealed_backup_cut_reordered_or_spliced_does_not_open(settings, damage):
    settings.ENCRYPTION_KEYS = [KEY_A]
    chunk = 64

    def seal(data: bytes) -> bytes:
        out = io.BytesIO()
        crypto.seal_stream(io.BytesIO(data), out, chunk_size=chunk)
        return out.getvalue()

    def frames(sealed: bytes) -> tuple[bytes, list[bytes]]:
        head_len = len(crypto.STREAM_MAGIC) + 16
        head, rest, parts = sealed[:head_len], sealed[head_len:], []
        while rest:
            size = int.from_bytes(rest[:4], "big") + 4
            parts.append(rest[:size])
            rest = rest[size:]
        return head, parts

    data = os.urandom(chunk * 3)
    head, parts = frames(seal(data))
    assert len(parts) == 3
    damaged = {
        "cut_last_frame": head + b"".join(parts[:-1]),
        "swap_frames": head + parts[1] + parts[0] + parts[2],
        "other_stream": head + frames(seal(data))[1][0] + b"".join(parts[1:]),
        "flip": head + parts[0][:-1] + bytes([parts[0][-1] ^ 1]) + b"".join(parts[1:]),
    }[damage]

    with pytest.raises(crypto.DecryptionError):
        crypto.open_stream(io.BytesIO(damaged), io.BytesIO())


def test_a_wrong_key_is_a_clear_refusal_and_the_database_is_left_alone(settings):
    settings.ENCRYPTION_KEYS = [KEY_A]
    make_data()
    stats = backups.backup()
    change_data()
    after = snapshot()
    settings.ENCRYPTION_KEYS = [KEY_B]  # the backup's key is no longer listed

    with pytest.raises(BackupError, match="cannot be decrypted.*ENCRYPTION_KEYS"):
        backups.restore(stats["file"])
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("restore_backup", stats["file"], "--noinput")
    settings.ENCRYPTION_KEYS = [KEY_A]  # to read the job results in the snapshot
    assert snapshot() == after

    settings.ENCRYPTION_KEYS = [KEY_B, KEY_A]
    assert backups.verify(stats["file"])["encrypted"] is True


def test_the_restore_command_names_the_key_problem_without_a_traceback(settings, tmp_path):
    settings.ENCRYPTION_KEYS = [KEY_A]
    make_data()
    path = Path(backups.backup()["file"])
    env = {"DATA_DIR": str(tmp_path / "data"), "ENCRYPTION_KEYS": KEY_B}
    if vendor() == "postgresql":
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]

    proc = manage("restore_backup", str(path), "--noinput", env=env, timeout=120)

    assert proc.returncode != 0
    assert "cannot be decrypted" in proc.stderr and "ENCRYPTION_KEYS" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_unencrypted_backup_from_before_still_restores(settings, backup_dir, tmp_path):
    settings.ENCRYPTION_KEYS = [KEY_A]
    make_data()
    before = snapshot()
    sealed = Path(backups.backup()["file"])
    plain = decrypted(sealed, tmp_path / "plain")
    old = fake_backup(tmp_path / "old", plain.read_bytes(), migrations={})
    manifest = json.loads(backups.manifest_path(old).read_text())
    assert "encrypted" not in manifest and manifest["format"] == 1
    change_data()

    backups.restore(old)

    assert snapshot() == before


def test_a_plaintext_file_under_an_encrypted_manifest_is_refused(settings, backup_dir, tmp_path):
    settings.ENCRYPTION_KEYS = [KEY_A]
    make_data()
    path = Path(backups.backup()["file"])
    manifest = json.loads(backups.manifest_path(path).read_text())
    plain = decrypted(path, tmp_path / "plain").read_bytes()
    path.write_bytes(plain)  # swapped in, manifest checksums forged to match
    manifest.update(size=len(plain), sha256=hashlib.sha256(plain).hexdigest())
    backups.manifest_path(path).write_text(json.dumps(manifest))
    count = AuditLog.objects.count()

    with pytest.raises(BackupError, match="not encrypted, but its manifest says it was"):
        backups.restore(path)
    assert AuditLog.objects.count() == count


def test_rotation_re_encrypts_backups_and_seals_those_from_before(settings, tmp_path):
    settings.ENCRYPTION_KEYS = [KEY_A]
    make_data()
    before = snapshot()
    sealed = Path(_backup_at(1)["file"])
    plain = decrypted(sealed, tmp_path / "plain").read_bytes()
    legacy = fake_backup(backups.backup_dir(), plain)  # 2026-01-01: the oldest
    assert backups.list_backups() == [legacy, sealed]
    settings.ENCRYPTION_KEYS = [KEY_B, KEY_A]
    files = {p: p.read_bytes() for p in backups.backup_dir().iterdir()}

    assert "backups: 1 re-encrypted, 1 sealed (were plaintext)" in run_rotate("--dry-run")
    assert {p: p.read_bytes() for p in backups.backup_dir().iterdir()} == files
    assert "backups: 1 re-encrypted, 1 sealed (were plaintext)" in run_rotate()
    assert "backups: 0 re-encrypted, 0 sealed (were plaintext), 2 already current" in (run_rotate())

    assert not [p for p in backups.backup_dir().iterdir() if p.name.startswith(".")]
    assert legacy.read_bytes().startswith(crypto.STREAM_MAGIC)
    for path in (legacy, sealed):
        change_data()
        settings.ENCRYPTION_KEYS = [KEY_B]  # the old key dropped: each file still opens
        assert backups.verify(path)["encrypted"] is True
        backups.restore(path)
        # The job results inside were sealed with the old key when the backup
        # was taken: reading them needs it listed again (docs/deploy.md), and a
        # rotation after the restore moves them to the new key.
        settings.ENCRYPTION_KEYS = [KEY_B, KEY_A]
        assert snapshot() == before
    assert "extraction jobs: 3 re-encrypted" in run_rotate()
    settings.ENCRYPTION_KEYS = [KEY_B]
    assert snapshot() == before


def test_rotation_leaves_a_damaged_backup_alone_and_says_so(settings):
    settings.ENCRYPTION_KEYS = [KEY_A]
    path = Path(_backup_at(1)["file"])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    settings.ENCRYPTION_KEYS = [KEY_B, KEY_A]

    with pytest.raises(CommandError, match="could not be decrypted"):
        run_rotate()
    assert path.read_bytes() == bytes(data)


def run_rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()
