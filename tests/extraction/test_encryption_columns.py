"""Encryption at rest, end to end (SPEC S-3, issue 10 item 6): a CV goes through
upload, extraction, review, the waiting list and publication, then a backup is
taken; neither the raw tables nor the raw backup file give its contents away.

The attacker here holds a copy of the database or of a backup (a stolen disk, a
leaked dump, a read-only SQL account) but not ENCRYPTION_KEYS. Such a person
decodes what is merely encoded (base64, zlib: Django's signed session payload is
both), so the search does too.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import subprocess
import zlib
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from extraction import queue, runner
from extraction.models import ExtractionJob, JobState
from monitoring import backups
from portfolios import publishing
from portfolios.models import Portfolio, PortfolioRequest, RequestState, State
from tests.helpers import form_values

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "Zephyrine Quillfeather"
SURNAME = "quillfeather"
EMAIL = "zephyrine.quillfeather@example.com"
PHONE = "+44 20 7946 0958"
EMPLOYER = "Quorvantis Robotics"
PROJECT = "Marrowgate"
# Typed on the review page only: the first reaches the published document, the
# second lives in the session alone.
EDIT_PUBLISHED = "Vorpal Cartographer"
EDIT_SESSION_ONLY = "Umbral Lexicographer"
CV = f"""{NAME}
Senior Data Engineer
{EMAIL} | {PHONE} | Bristol, UK

EXPERIENCE
Senior Data Engineer, {EMPLOYER}, 2019 - present
Built the telemetry pipeline for the {PROJECT} fleet.

EDUCATION
BSc Computer Science, University of Bristol, 2012 - 2015
""".encode()
# What must not be readable anywhere. The phone number also without spaces.
SECRETS = [NAME, EMAIL, PHONE, "79460958", EMPLOYER, PROJECT, EDIT_PUBLISHED, EDIT_SESSION_ONLY]
# The lifecycle address typed in the publish form: stored in clear, by design
# (docs/deploy.md), so it is not one of the CV's own strings.
LIFECYCLE_EMAIL = "mailbox-for-cv2web@example.net"
KEY = Fernet.generate_key().decode()

_ENCODED_RUN = re.compile(r"[A-Za-z0-9_\-+/]{20,}={0,2}")


def readable(text: str) -> str:
    """`text` and everything an attacker gets from it without a key: every long
    base64 run decoded, and inflated when it is zlib data."""
    views = [text]
    for run in _ENCODED_RUN.findall(text):
        padded = run + "=" * (-len(run) % 4)
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                raw = decode(padded)
            except (binascii.Error, ValueError):
                continue
            views.append(raw.decode("latin-1"))
            with contextlib.suppress(zlib.error):
                views.append(zlib.decompress(raw).decode("utf-8", "replace"))
    return "\n".join(views)


def as_text(value) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def every_stored_value():
    """(table, column, text) for every non-null value of every column of every
    table, read past the models with plain SQL."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            cursor.execute(f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(table)}")
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        yield table, column, as_text(value)


def backup_views(path: Path) -> str:
    """The backup file as bytes, and as a PostgreSQL archive turned back into
    SQL when pg_restore can read it (pg_dump compresses its data)."""
    views = [readable(path.read_bytes().decode("latin-1"))]
    if backups.engine() == "postgresql":
        listing = subprocess.run(
            ["pg_restore", "--file=-", str(path)], capture_output=True, check=False
        )
        views.append(listing.stdout.decode("utf-8", "replace"))
    return "\n".join(views)


def run_queue() -> None:
    while (job := queue.claim_next("test-worker")) is not None:
        runner.run_job(job)


def review(client: Client, job: ExtractionJob, label: str):
    values = form_values(client.get(f"/jobs/{job.pk}/review"))
    values["basics-label"] = label
    return client.post(f"/jobs/{job.pk}/review", values)


def test_the_readable_helper_sees_through_a_signed_session_payload():
    # The search below would prove nothing if it could not read what Django's
    # session store writes before encryption.
    encoded = signing.dumps({"doc": {"name": NAME * 3}}, compress=True)
    assert NAME not in encoded
    assert NAME in readable(encoded)


def test_no_table_and_no_backup_holds_the_cv_in_clear(settings, tmp_path):
    settings.ENCRYPTION_KEYS = [KEY]
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.PORTFOLIO_CAPACITY = settings.PORTFOLIO_OVERFLOW_CAPACITY = 1
    settings.CAPACITY_HIGH_DEMAND_AT = settings.CAPACITY_WARN_AT = 1
    other = publishing.publish(
        resume={"basics": {"name": "Someone Else"}},
        theme="classic",
        client="other",
        retention_hours=24,
        active_limit=5,
    ).portfolio

    client = Client()
    r = client.post("/", {"file": SimpleUploadedFile("cv.txt", CV)})
    assert r.status_code == 302
    run_queue()
    job = ExtractionJob.objects.get()
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.result["work"][0]["name"] == EMPLOYER

    assert review(client, job, EDIT_PUBLISHED).status_code == 303
    r = client.post(
        f"/jobs/{job.pk}/publish",
        {"theme": "classic", "publish_key": "k" * 32, "email": LIFECYCLE_EMAIL},
    )
    assert r.status_code == 303
    request = PortfolioRequest.objects.get()
    assert request.state == RequestState.WAITING
    assert request.resume["basics"]["label"] == EDIT_PUBLISHED

    # A place frees: the waiting request becomes a live portfolio.
    publishing.archive(other)
    portfolio = Portfolio.objects.get(source_job=job)
    assert portfolio.state == State.ACTIVE
    assert portfolio.resume["basics"]["email"] == EMAIL

    # A second review after publishing: this document lives in the session only.
    assert review(client, job, EDIT_SESSION_ONLY).status_code == 303
    assert client.session[f"pages:edited:{job.pk}"]["basics"]["label"] == EDIT_SESSION_ONLY

    backup = Path(backups.backup()["file"])

    found = []
    for table, column, text in every_stored_value():
        # The slug is the public address of the page (docs/deploy.md): it is
        # made from the name, and is the one place the surname may appear.
        text = readable(text.replace(portfolio.slug, "<public slug>"))
        found += [(table, column, s) for s in SECRETS if s.lower() in text.lower()]
        if SURNAME in text.lower():
            found.append((table, column, SURNAME))
    assert not found, "readable: " + ", ".join(sorted({f"{t}.{c}: {s}" for t, c, s in found}))

    raw = backup_views(backup).lower()
    assert [s for s in [*SECRETS, SURNAME, portfolio.slug] if s.lower() in raw] == []


# --- Each sealed column, sessions and rotation ------------------------------------------

KEY_B = Fernet.generate_key().decode()
DOC = {"basics": {"name": NAME, "email": EMAIL}, "work": [{"name": EMPLOYER}]}


def raw_column(table: str, column: str) -> list[str]:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn(column)} FROM {qn(table)} WHERE {qn(column)} IS NOT NULL")
        return [as_text(row[0]) for row in cursor.fetchall()]


def set_raw(table: str, column: str, value: str) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {qn(table)} SET {qn(column)} = %s", [value])


def make_rows() -> tuple[ExtractionJob, Portfolio, PortfolioRequest]:
    from extraction.models import Document

    document = Document.objects.create(
        sha256="a" * 64, kind="txt", size=1, storage_name="stored-name.txt"
    )
    job = ExtractionJob.objects.create(
        document=document,
        extractor="local",
        fingerprint="f",
        cache_key="k",
        state=JobState.SUCCEEDED,
        result=DOC,
    )
    portfolio = publishing.publish(
        resume=DOC, theme="classic", client="c1", retention_hours=24, active_limit=5
    ).portfolio
    request = PortfolioRequest.objects.create(
        resume=DOC, theme="classic", manage_token_hash="h", tier="anonymous"
    )
    return job, portfolio, request


COLUMNS = [
    ("extraction_extractionjob", "result"),
    ("portfolios_portfolio", "resume"),
    ("portfolios_portfoliorequest", "resume"),
]


def test_job_results_and_both_kinds_of_document_are_ciphertext_in_their_rows(settings):
    settings.ENCRYPTION_KEYS = [KEY]
    job, portfolio, request = make_rows()

    for table, column in COLUMNS:
        [raw] = raw_column(table, column)
        assert raw.startswith("cv2web:enc:1\n"), (table, column)
        assert NAME not in readable(raw) and EMAIL not in readable(raw)
    # The models read the documents back, and so does the API (as JSON, not text).
    assert ExtractionJob.objects.get().result == DOC
    assert Portfolio.objects.get().resume == DOC
    assert PortfolioRequest.objects.get().resume == DOC
    Portfolio.objects.filter(pk=portfolio.pk).update(resume={**DOC, "extra": 1})
    assert Portfolio.objects.get().resume["extra"] == 1
    assert raw_column("portfolios_portfolio", "resume")[0].startswith("cv2web:enc:1\n")


def test_a_search_inside_a_sealed_column_is_refused_not_silently_empty():
    from django.core.exceptions import FieldError

    for query in (
        lambda: Portfolio.objects.filter(resume__basics__name=NAME),
        lambda: Portfolio.objects.filter(resume={"basics": {}}),
        lambda: Portfolio.objects.filter(resume__contains={"basics": {}}),
        lambda: ExtractionJob.objects.filter(result__icontains=NAME),
    ):
        with pytest.raises(FieldError, match="encrypted at rest"):
            list(query())
    # Whether there is a value at all stays a question the database can answer.
    assert list(ExtractionJob.objects.filter(result=None)) == []
    assert list(ExtractionJob.objects.filter(result__isnull=False)) == []


def test_rows_written_before_encryption_still_load_and_rotation_seals_them(settings):
    settings.ENCRYPTION_KEYS = [KEY]
    make_rows()
    for table, column in COLUMNS:
        set_raw(table, column, json.dumps(DOC))  # as the JSON column held it

    assert ExtractionJob.objects.get().result == DOC
    assert Portfolio.objects.get().resume == DOC
    out = run_rotate()
    assert "extraction jobs: 0 re-encrypted, 1 sealed (were plaintext)" in out
    assert "portfolios: 0 re-encrypted, 1 sealed (were plaintext)" in out
    assert "portfolio requests: 0 re-encrypted, 1 sealed (were plaintext)" in out
    for table, column in COLUMNS:
        assert NAME not in readable(raw_column(table, column)[0])
    assert PortfolioRequest.objects.get().resume == DOC


def test_rotation_moves_job_results_and_documents_to_the_new_key(settings):
    settings.ENCRYPTION_KEYS = [KEY]
    make_rows()
    before = {c: raw_column(*c) for c in COLUMNS}
    settings.ENCRYPTION_KEYS = [KEY_B, KEY]

    dry = run_rotate("--dry-run")
    assert "dry run, nothing changed: extraction jobs: 1 re-encrypted" in dry
    assert "dry run, nothing changed: portfolios: 1 re-encrypted" in dry
    assert {c: raw_column(*c) for c in COLUMNS} == before

    out = run_rotate("--batch-size", "1")
    assert "extraction jobs: 1 re-encrypted" in out
    assert "portfolios: 1 re-encrypted" in out
    assert "portfolio requests: 1 re-encrypted" in out

    settings.ENCRYPTION_KEYS = [KEY_B]  # the old key dropped: everything still opens
    assert ExtractionJob.objects.get().result == DOC
    assert Portfolio.objects.get().resume == DOC
    assert PortfolioRequest.objects.get().resume == DOC
    assert "portfolios: 0 re-encrypted, 0 sealed (were plaintext), 1 already current" in (
        run_rotate()
    )


def test_a_job_result_no_key_opens_stops_rotation_and_is_left_as_it_is(settings):
    from django.core.management import CommandError

    settings.ENCRYPTION_KEYS = [KEY]
    make_rows()
    before = raw_column("extraction_extractionjob", "result")
    settings.ENCRYPTION_KEYS = [KEY_B]  # KEY dropped before rotating

    with pytest.raises(CommandError, match="could not be decrypted"):
        run_rotate()
    assert raw_column("extraction_extractionjob", "result") == before


# --- Sessions -----------------------------------------------------------------------


def session_store():
    from importlib import import_module

    from django.conf import settings

    return import_module(settings.SESSION_ENGINE).SessionStore


def test_a_session_row_holds_ciphertext_and_reads_back(settings):
    settings.ENCRYPTION_KEYS = [KEY]
    store = session_store()()
    store["pages:edited:1"] = DOC
    store.create()

    [raw] = raw_column("django_session", "session_data")
    assert raw.startswith("cv2web:enc:1\n")
    assert NAME not in readable(raw) and EMPLOYER not in readable(raw)
    assert session_store()(store.session_key).load()["pages:edited:1"] == DOC


def test_a_session_stored_before_encryption_still_loads_until_rotation_seals_it(settings):
    from django.contrib.sessions.backends.db import SessionStore as PlainStore

    settings.ENCRYPTION_KEYS = [KEY]
    legacy = PlainStore()
    legacy["pages:edited:1"] = DOC
    legacy.create()
    assert NAME in readable(raw_column("django_session", "session_data")[0])

    assert session_store()(legacy.session_key).load()["pages:edited:1"] == DOC
    assert "sessions: 0 re-encrypted, 1 sealed (were plaintext)" in run_rotate()
    assert NAME not in readable(raw_column("django_session", "session_data")[0])
    assert session_store()(legacy.session_key).load()["pages:edited:1"] == DOC

    settings.ENCRYPTION_KEYS = [KEY_B, KEY]
    assert "sessions: 1 re-encrypted" in run_rotate()
    settings.ENCRYPTION_KEYS = [KEY_B]
    assert session_store()(legacy.session_key).load()["pages:edited:1"] == DOC


def test_a_session_no_key_opens_reads_as_signed_out_and_does_not_stop_rotation(settings):
    settings.ENCRYPTION_KEYS = [KEY]
    store = session_store()()
    store["secret"] = NAME
    store.create()
    settings.ENCRYPTION_KEYS = [KEY_B]

    assert session_store()(store.session_key).load() == {}
    out = run_rotate()  # no CommandError: such a session is already as good as gone
    assert "sessions: 0 re-encrypted, 0 sealed (were plaintext), 0 already current, " in out
    assert out.split("sessions: ")[1].splitlines()[0].endswith("1 unreadable")


def run_rotate(*args: str) -> str:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out, stderr=StringIO())
    return out.getvalue()
