"""The uploaded file is deleted right after a successful extraction, by default
(issue 15 point 5, acceptance 5): an option at upload (the page's checkbox,
the API's `keep_file`), default on. The extracted document is kept; the cache
keeps only its encrypted result. A failed extraction keeps the file whole,
for a retry: nothing is half-deleted."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from extraction import queue, runner
from extraction.errors import ExtractionError
from extraction.models import CacheEntry, Document, ExtractionJob, JobState
from tests.extraction import badfiles as bf

pytestmark = pytest.mark.django_db

CV = "Jane Uploadperson\njane.upload@example.com\n+44 20 7946 0123\n"


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run what waits for the commit (job_finished's receivers), as production does."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def upload(client, text: str = CV, **data):
    return client.post("/", {"file": SimpleUploadedFile("cv.txt", bf.txt_utf8(text)), **data})


def stored_files(settings) -> list:
    return sorted(p.name for p in settings.UPLOAD_DIR.iterdir())


def run_next(commits):
    return commits(runner.run_job, queue.claim_next("w"))


def test_the_file_is_gone_after_a_successful_extraction_and_the_result_kept(
    client, settings, commits
):
    assert commits(upload, client).status_code == 302
    doc = Document.objects.get()
    assert stored_files(settings) == [doc.storage_name]
    assert run_next(commits) == "succeeded"
    assert stored_files(settings) == []
    doc.refresh_from_db()
    assert doc.file_deleted_at is not None
    job = ExtractionJob.objects.get()
    assert job.state == JobState.SUCCEEDED
    assert job.result["basics"]["email"] == "jane.upload@example.com"
    # The review page still works from the kept result.
    assert client.get(f"/jobs/{job.pk}/review").status_code == 200


def test_keeping_the_file_is_the_persons_choice(client, settings, commits):
    commits(upload, client, keep_file="on")
    run_next(commits)
    doc = Document.objects.get()
    assert doc.delete_after_extraction is False and doc.file_deleted_at is None
    assert stored_files(settings) == [doc.storage_name]


def test_the_upload_page_offers_the_choice_off_by_default(client):
    page = client.get("/").content.decode()
    assert 'name="keep_file"' in page
    assert 'name="keep_file" value="on" checked' not in page


@pytest.mark.parametrize(
    "error",
    [
        ExtractionError("no_text", "No text.", user_fault=True),
        ExtractionError("extractor_down", "Later.", user_fault=False),
        RuntimeError("a bug"),
    ],
)
def test_a_failed_extraction_keeps_the_file_whole(client, settings, commits, monkeypatch, error):
    commits(upload, client)
    doc = Document.objects.get()
    sealed = (settings.UPLOAD_DIR / doc.storage_name).read_bytes()

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(runner.pipeline, "run", broken)
    run_next(commits)
    doc.refresh_from_db()
    assert doc.file_deleted_at is None
    assert (settings.UPLOAD_DIR / doc.storage_name).read_bytes() == sealed
    assert doc.read_bytes() == bf.txt_utf8(CV)  # still opens: a retry can read it


def test_a_cache_hit_deletes_the_second_upload_at_once(client, settings, commits):
    commits(upload, client)
    run_next(commits)
    commits(upload, client)  # the same bytes again: answered from the cache
    second = Document.objects.order_by("-created_at").first()
    assert ExtractionJob.objects.get(document=second).cached
    assert stored_files(settings) == []
    assert second.file_deleted_at is not None


def test_the_cache_keeps_only_the_encrypted_result(client, commits):
    commits(upload, client)
    run_next(commits)
    entry = CacheEntry.objects.get()
    assert entry.result["basics"]["email"] == "jane.upload@example.com"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT result FROM {CacheEntry._meta.db_table}")
        (raw,) = cursor.fetchone()
    assert "jane.upload@example.com" not in str(raw) and "Uploadperson" not in str(raw)
    fields = {f.name for f in CacheEntry._meta.get_fields()}
    assert not fields & {"text", "file", "content", "source"}


def test_a_json_resume_upload_is_deleted_once_imported(client, settings, commits):
    doc = {"basics": {"name": "Json Person", "email": "json@example.com"}}
    f = SimpleUploadedFile("resume.json", json.dumps(doc).encode(), "application/json")
    assert commits(client.post, "/", {"file": f}).status_code == 302
    assert stored_files(settings) == []
    assert ExtractionJob.objects.get().result["basics"]["name"] == "Json Person"


def test_the_api_takes_keep_file_and_refuses_nonsense(api, settings, commits):
    def post(**data):
        return commits(
            api.post,
            "/api/v1/extractions",
            {"file": SimpleUploadedFile("cv.txt", bf.txt_utf8(CV)), **data},
            format="multipart",
        )

    r = post(keep_file="perhaps")
    assert r.status_code == 400 and r.json()["error"] == "invalid_keep_file"
    assert "true or false" in r.json()["message"]
    assert not Document.objects.exists() and stored_files(settings) == []
    assert post(keep_file="true").status_code in (201, 202)
    run_next(commits)
    assert len(stored_files(settings)) == 1
    assert post(keep_file="false").status_code in (201, 202)  # a cache hit: deleted at once
    assert len(stored_files(settings)) == 1
    kept = Document.objects.get(delete_after_extraction=False)
    assert stored_files(settings) == [kept.storage_name]
