"""What a cache hit at upload writes, and how (issue 13): its rows in one
transaction through statements written once, the manage token's hash with the
job, nothing left behind when any of it fails."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from extraction import intake, queue, runner
from extraction.models import CacheEntry, Document, ExtractionJob
from monitoring.models import AuditLog

URL = "/api/v1/extractions"
TEXT = b"Ada Example\nada@example.com\n\nExperience\nEngineer, Acme, 2020 - 2024\n"


def fill_cache() -> CacheEntry:
    intake.accept(SimpleUploadedFile("cv.txt", TEXT))
    runner.run_job(queue.claim_next("test"))
    return CacheEntry.objects.get()


def post(api):
    return api.post(URL, {"file": SimpleUploadedFile("cv.txt", TEXT)}, format="multipart")


@pytest.mark.django_db(transaction=True)
def test_an_api_hit_writes_its_rows_in_one_transaction_and_no_more(api):
    entry = fill_cache()
    post(api)  # the session exists from here on, as for a client that keeps it
    with CaptureQueriesContext(connection) as seen:
        r = post(api)
    assert r.status_code == 201, r.content
    sql = [q["sql"].split()[0].upper() for q in seen.captured_queries]
    tables = [q["sql"] for q in seen.captured_queries]
    # One transaction holds every write, the session's memory of the job
    # included: no statement writes outside it.
    assert sql.count("COMMIT") == 1
    writes = [i for i, word in enumerate(sql) if word in ("INSERT", "UPDATE", "DELETE")]
    begin, commit = writes[0], sql.index("COMMIT")
    assert writes[-1] < commit, tables
    inside = tables[begin:commit]
    # The session's row last, after the job's (it names the job): still
    # before the one COMMIT.
    job_insert = next(
        i for i, s in enumerate(tables) if s.startswith("INSERT") and "extractionjob" in s
    )
    session_updates = [
        i for i, s in enumerate(tables) if s.startswith("UPDATE") and '"django_session"' in s
    ]
    assert len(session_updates) == 1 and job_insert < session_updates[0] < commit
    assert sum('"extraction_cacheentry"' in s and s.startswith("UPDATE") for s in inside) == 1
    assert sum('"extraction_document"' in s and s.startswith("INSERT") for s in inside) == 1
    assert sum('"extraction_extractionjob"' in s and s.startswith("INSERT") for s in inside) == 1
    # Its two audit rows (the hit, the acceptance) by one statement.
    assert sum('"monitoring_auditlog"' in s and s.startswith("INSERT") for s in inside) == 1
    # The manage token is written with the job, not by a second statement;
    # nobody asks whether an upload call follows a job made finished.
    assert not any(s.startswith("UPDATE") and '"extraction_extractionjob"' in s for s in tables)
    assert not any("webhooks_" in s for s in tables)
    assert len(sql) <= 9, tables
    job = ExtractionJob.objects.get(pk=r.json()["id"])
    audited = AuditLog.objects.filter(object_id__in=[str(job.pk), str(job.document_id)])
    assert sorted(audited.values_list("action", flat=True)) == [
        "extraction.cache_hit",
        "upload.accepted",
    ]
    token = r.json()["manage_token"]
    assert job.manage_token_hash == hashlib.sha256(token.encode()).hexdigest()
    entry.refresh_from_db()
    assert entry.hits == 2 and entry.last_hit_at is not None


@pytest.mark.django_db
def test_the_token_written_with_the_job_controls_it(api):
    fill_cache()
    body = post(api).json()
    other = api.__class__()  # no session: only the token can show control
    r = other.delete(f"{URL}/{body['id']}", HTTP_X_MANAGE_TOKEN=body["manage_token"])
    assert r.status_code == 409, r.content
    assert "already_started" in r.content.decode()
    r = other.delete(f"{URL}/{body['id']}", HTTP_X_MANAGE_TOKEN="not-the-token")
    assert r.status_code == 404


@pytest.mark.django_db
def test_an_account_hit_carries_no_token(api, django_user_model):
    fill_cache()
    user = django_user_model.objects.create_user("ada", "ada@example.com", "pw-long-enough-1")
    api.force_authenticate(user)
    r = post(api)
    assert r.status_code == 201 and "manage_token" not in r.json()
    assert ExtractionJob.objects.get(pk=r.json()["id"]).manage_token_hash == ""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cached", [True, False])
def test_a_failure_after_the_job_leaves_nothing_behind(cached):
    entry = fill_cache() if cached else None
    before = (Document.objects.count(), ExtractionJob.objects.count(), AuditLog.objects.count())
    folder = Path(settings.UPLOAD_DIR)
    files = set(folder.iterdir()) if folder.exists() else set()

    def then(job):
        raise RuntimeError("the audit row could not be written")

    with pytest.raises(RuntimeError):
        intake.accept(
            SimpleUploadedFile("cv.txt", TEXT if cached else TEXT + b"more\n"),
            delete_after=False,
            then=then,
        )
    after = (Document.objects.count(), ExtractionJob.objects.count(), AuditLog.objects.count())
    assert after == before
    assert (set(folder.iterdir()) if folder.exists() else set()) == files
    if entry is not None:
        hits = entry.hits
        entry.refresh_from_db()
        assert entry.hits == hits  # the hit was counted in the rolled-back transaction


@pytest.mark.django_db
def test_a_hit_is_counted_by_lookup_unless_the_caller_counts_it():
    entry = fill_cache()
    assert CacheEntry.lookup(entry.key).hits == entry.hits + 1
    found = CacheEntry.lookup(entry.key, count=False)
    entry.refresh_from_db()
    assert found.hits == entry.hits
    found.count_hit()
    entry.refresh_from_db()
    assert entry.hits == found.hits and entry.last_hit_at == found.last_hit_at


@pytest.mark.django_db
def test_an_expired_or_unreadable_entry_is_a_miss(settings, caplog):
    from django.utils import timezone

    entry = fill_cache()
    CacheEntry.objects.filter(pk=entry.pk).update(expires_at=timezone.now())
    assert CacheEntry.lookup(entry.key) is None
    CacheEntry.objects.filter(pk=entry.pk).update(
        expires_at=timezone.now() + timezone.timedelta(days=1)
    )
    from cryptography.fernet import Fernet

    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # not the entry's key
    with caplog.at_level("WARNING"):
        assert CacheEntry.lookup(entry.key) is None
    assert "treated as a miss" in caplog.text


@pytest.mark.django_db
def test_a_job_made_finished_is_not_looked_up_by_webhooks(django_assert_num_queries):
    from webhooks import events

    with django_assert_num_queries(0):
        events.jobs_finished(ExtractionJob, job_ids=["x"], made_finished=True)


@pytest.mark.django_db
def test_a_hit_stores_the_entrys_sealed_result_as_it_is(api):
    entry = fill_cache()
    r = post(api)
    assert r.status_code == 201, r.content
    job = ExtractionJob.objects.get(pk=r.json()["id"])
    sealed = {
        model: model.objects.filter(pk=pk).values_list("result", flat=True).query
        for model, pk in ((CacheEntry, entry.pk), (ExtractionJob, job.pk))
    }
    from django.db import connection as conn

    texts = {}
    for model, query in sealed.items():
        sql, params = query.sql_with_params()
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            texts[model] = cursor.fetchone()[0]
    # The same ciphertext: not sealed again (and not the plaintext).
    assert texts[CacheEntry] == texts[ExtractionJob]
    assert "Ada" not in texts[ExtractionJob]
    assert job.result == entry.result and r.json()["result"] == entry.result


@pytest.mark.django_db
def test_a_batch_from_a_session_writes_the_session_once_and_remembers_every_job(api):
    from extraction.access import SESSION_KEY

    post(api)  # the session exists from here on
    files = [SimpleUploadedFile(f"cv{n}.txt", TEXT + f"Note {n}\n".encode()) for n in range(2)]
    with CaptureQueriesContext(connection) as seen:
        r = api.post(f"{URL}/batch", {"files": files}, format="multipart")
    assert r.status_code in (201, 202), r.content
    ids = [entry["id"] for entry in r.json()["jobs"]]
    assert len(ids) == 2
    writes = [
        q["sql"]
        for q in seen.captured_queries
        if q["sql"].startswith("UPDATE") and '"django_session"' in q["sql"]
    ]
    assert len(writes) == 1, writes
    remembered = api.session[SESSION_KEY]
    assert all(pk in remembered for pk in ids)
