"""Encryption at rest (SPEC S): uploads and cached results, keys from the
environment, rotation, legacy plaintext, wrong keys, start-up and deploy checks."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from extraction import crypto, queue, runner
from extraction.models import CacheEntry, Document, ExtractionJob, JobState
from tests.processes import manage

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
URL = "/api/v1/extractions"
MARKER = "zephyrine.quillfeather"
CV = (
    "Zephyrine Quillfeather\n"
    "Software Engineer\n"
    f"{MARKER}@example.com | +44 20 7946 0958\n\n"
    "EXPERIENCE\n"
    "Senior Engineer, Acme Ltd, 2019 - present\n"
).encode()
KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def post(api, data: bytes = CV, name: str = "cv.txt"):
    return api.post(URL, {"file": SimpleUploadedFile(name, data)}, format="multipart")


def run_queue() -> None:
    while (job := queue.claim_next("test-worker")) is not None:
        runner.run_job(job)


def raw_cache_results() -> list[str]:
    """The result column as the database holds it, past the model field."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT result FROM extraction_cacheentry")
        return [row[0] for row in cursor.fetchall()]


def extract_via_api(api) -> ExtractionJob:
    r = post(api)
    assert r.status_code == 202, r.content
    run_queue()
    return ExtractionJob.objects.select_related("document").get(pk=r.json()["id"])


# --- The primitives ----------------------------------------------------------------


def test_sealed_bytes_carry_a_header_and_open_again(settings):
    settings.ENCRYPTION_KEYS = [KEY_A]
    sealed = crypto.seal(b"secret cv")
    assert sealed.startswith(crypto.MAGIC) and b"secret cv" not in sealed
    assert crypto.open_sealed(sealed) == b"secret cv"
    assert crypto.is_current(sealed)


def test_bytes_without_the_header_are_legacy_plaintext():
    assert crypto.open_sealed(b"%PDF-1.7 written before encryption") == (
        b"%PDF-1.7 written before encryption"
    )
    assert not crypto.is_current(b"plain")


def test_without_keys_a_development_key_from_secret_key_is_used_with_debug_on(settings):
    # With DEBUG off there is no such key (tests/test_settings.py).
    settings.DEBUG = True
    settings.ENCRYPTION_KEYS = []
    sealed = crypto.seal(b"dev")
    assert crypto.open_sealed(sealed) == b"dev"
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(sealed)


# --- Uploads ---------------------------------------------------------------------


def test_the_stored_upload_is_ciphertext_and_the_job_still_succeeds(api, settings):
    settings.ENCRYPTION_KEYS = [KEY_A]
    job = extract_via_api(api)
    stored = job.document.path.read_bytes()
    assert stored.startswith(crypto.MAGIC)
    assert MARKER.encode() not in stored
    assert stat.S_IMODE(job.document.path.stat().st_mode) == 0o600
    assert job.document.read_bytes() == CV
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.result["basics"]["email"] == f"{MARKER}@example.com"
    # The plaintext copy the readers used is gone, and no temporary file is left.
    assert list(Path(settings.TMP_DIR).glob("*.plain")) == []
    assert [p.name for p in Path(settings.UPLOAD_DIR).iterdir()] == [job.document.storage_name]


def test_a_pdf_upload_is_read_through_the_isolated_parser(api, settings, pdf_bytes):
    settings.ENCRYPTION_KEYS = [KEY_A]
    r = post(api, pdf_bytes, "cv.pdf")
    assert r.status_code == 202, r.content
    run_queue()
    job = ExtractionJob.objects.get(pk=r.json()["id"])
    assert b"%PDF" not in job.document.path.read_bytes()
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.result["basics"]["name"]


# --- The cache ---------------------------------------------------------------------


def test_the_cache_row_holds_ciphertext_but_the_entry_reads_as_a_dict(api, settings):
    settings.ENCRYPTION_KEYS = [KEY_A]
    extract_via_api(api)
    [raw] = raw_cache_results()
    assert MARKER not in raw and raw.startswith(crypto.MAGIC.decode())
    entry = CacheEntry.objects.get()
    assert entry.result["basics"]["email"] == f"{MARKER}@example.com"
    # A second upload of the same bytes is answered from the (decrypted) cache.
    again = post(api)
    assert again.status_code == 201 and again.json()["cached"] is True
    assert again.json()["result"] == entry.result


def test_an_entry_no_key_opens_is_a_miss_and_is_overwritten(api, settings):
    settings.ENCRYPTION_KEYS = [KEY_A]
    job = extract_via_api(api)
    settings.ENCRYPTION_KEYS = [KEY_B]
    assert CacheEntry.lookup(job.cache_key) is None
    CacheEntry.store(
        sha256=job.document.sha256,
        fingerprint=job.fingerprint,
        extractor="local",
        model="",
        result={"basics": {"name": "Again"}},
        warnings=[],
        size_bytes=1,
    )
    assert CacheEntry.lookup(job.cache_key).result == {"basics": {"name": "Again"}}


# --- Rotation ----------------------------------------------------------------------


def test_rotation_moves_files_and_entries_to_the_new_key(api, settings):
    settings.ENCRYPTION_KEYS = [KEY_A]
    job = extract_via_api(api)
    settings.ENCRYPTION_KEYS = [KEY_B, KEY_A]

    dry = run_rotate("--dry-run")
    assert "files: 1 re-encrypted" in dry and "cache entries: 1 re-encrypted" in dry
    settings.ENCRYPTION_KEYS = [KEY_A]
    assert crypto.is_current(job.document.path.read_bytes())  # the dry run changed nothing

    settings.ENCRYPTION_KEYS = [KEY_B, KEY_A]
    out = run_rotate()
    assert "files: 1 re-encrypted, 0 sealed (were plaintext), 0 already current" in out
    assert "cache entries: 1 re-encrypted" in out

    settings.ENCRYPTION_KEYS = [KEY_B]
    assert Document.objects.get().read_bytes() == CV
    assert CacheEntry.objects.get().result["basics"]["email"] == f"{MARKER}@example.com"
    assert "files: 0 re-encrypted, 0 sealed (were plaintext), 1 already current" in run_rotate()


def test_a_legacy_plaintext_upload_is_read_and_then_sealed_by_rotation(settings):
    settings.ENCRYPTION_KEYS = [KEY_A]
    name = f"{uuid.uuid4().hex}.txt"
    (Path(settings.UPLOAD_DIR) / name).write_bytes(CV)  # as stored before encryption
    document = Document.objects.create(
        sha256=uuid.uuid4().hex * 2, kind="txt", size=len(CV), storage_name=name
    )
    job = queue.enqueue(document, extractor="local", fingerprint="fp")
    run_queue()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.result["basics"]["email"] == f"{MARKER}@example.com"

    assert "files: 0 re-encrypted, 1 sealed (were plaintext)" in run_rotate()
    stored = document.path.read_bytes()
    assert MARKER.encode() not in stored and crypto.is_current(stored)
    assert document.read_bytes() == CV


# --- Wrong keys ----------------------------------------------------------------------


def test_with_the_wrong_key_the_error_is_clear_and_no_data_is_lost(api, settings):
    settings.ENCRYPTION_KEYS = [KEY_A]
    r = post(api)
    document = Document.objects.get()
    before = document.path.read_bytes()
    settings.ENCRYPTION_KEYS = [KEY_B]  # key A dropped before rotating

    with pytest.raises(crypto.DecryptionError, match="ENCRYPTION_KEYS"):
        document.read_bytes()
    run_queue()
    job = ExtractionJob.objects.get(pk=r.json()["id"])
    assert job.state == JobState.QUEUED and job.error_code == "file_unreadable"  # retried
    with pytest.raises(CommandError, match="could not be decrypted"):
        run_rotate()
    assert document.path.read_bytes() == before

    settings.ENCRYPTION_KEYS = [KEY_B, KEY_A]  # the key is back: the retry succeeds
    ExtractionJob.objects.filter(pk=job.pk).update(not_before=None)
    run_queue()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error_message


def test_invalid_keys_are_refused_at_start_up(tmp_path):
    good = Fernet.generate_key().decode()
    result = manage(
        "check", env={"DATA_DIR": str(tmp_path), "ENCRYPTION_KEYS": f"{good},not-a-fernet-key"}
    )
    assert result.returncode != 0
    assert "ENCRYPTION_KEYS: entry 2 is not a Fernet key" in result.stderr
    assert "not-a-fernet-key" not in result.stderr and good not in result.stderr


def test_the_deploy_check_warns_when_no_key_is_set(settings):
    settings.ENCRYPTION_KEYS = []
    assert "cv2web.W001" in {m.id for m in run_checks(include_deployment_checks=True)}
    assert "cv2web.W001" not in {m.id for m in run_checks()}
    settings.ENCRYPTION_KEYS = [KEY_A]
    assert "cv2web.W001" not in {m.id for m in run_checks(include_deployment_checks=True)}


def run_rotate(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out, stderr=StringIO())
    return out.getvalue()
