"""An upload answered from the cache at once (issue 13): the file the person
chose not to keep is never written, not written and then deleted; a file the
person keeps is stored as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from extraction import crypto, intake
from extraction.models import JobState

pytestmark = pytest.mark.django_db

TEXT = b"Ada Example\nada@example.com\n\nExperience\nEngineer, Acme, 2020 - 2024\n"


def stored_files() -> set[str]:
    folder = Path(settings.UPLOAD_DIR)
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def upload(**kw):
    return intake.accept(SimpleUploadedFile("cv.txt", TEXT), **kw)


def fill_cache() -> None:
    from extraction import queue, runner

    upload()
    runner.run_job(queue.claim_next("test"))


def test_a_hit_never_writes_the_file_it_would_delete(monkeypatch):
    fill_cache()
    before = stored_files()
    sealed = []
    real_seal = crypto.seal_file
    monkeypatch.setattr(crypto, "seal_file", lambda *a: sealed.append(a) or real_seal(*a))
    job = upload()
    assert job.state == JobState.SUCCEEDED and job.cached
    assert sealed == [] and stored_files() == before
    document = job.document
    document.refresh_from_db()
    assert document.file_deleted_at is not None and document.delete_after_extraction
    assert not document.path.exists()


def test_a_hit_whose_file_is_kept_stores_it():
    fill_cache()
    before = stored_files()
    job = upload(delete_after=False)
    assert job.state == JobState.SUCCEEDED and job.cached
    document = job.document
    document.refresh_from_db()
    assert document.file_deleted_at is None
    assert stored_files() - before == {document.storage_name}
    assert document.read_bytes() == TEXT


def test_a_hit_asks_the_database_nothing_about_files_to_drop(
    monkeypatch, django_capture_on_commit_callbacks
):
    from extraction.models import Document

    fill_cache()
    asked = []
    monkeypatch.setattr(Document, "drop_extracted_files", lambda ids: asked.append(ids) or 0)
    with django_capture_on_commit_callbacks(execute=True):
        dropped = upload()
        kept = upload(delete_after=False)
    assert dropped.cached and kept.cached
    # Neither hit holds a file to drop: one never written, one to keep.
    assert asked == []


def test_a_finished_run_still_drops_its_file(django_capture_on_commit_callbacks):
    from extraction import queue, runner

    with django_capture_on_commit_callbacks(execute=True):
        job = upload()
    assert job.document.path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        runner.run_job(queue.claim_next("test"))
    job.document.refresh_from_db()
    assert job.document.file_deleted_at is not None and not job.document.path.exists()


def test_given_jobs_with_a_file_to_drop_the_receiver_drops_it(django_capture_on_commit_callbacks):
    from extraction import receivers
    from extraction.models import ExtractionJob

    with django_capture_on_commit_callbacks(execute=True):
        job = upload()
    ExtractionJob.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED)
    job.refresh_from_db()
    assert job.document.path.exists()
    receivers.drop_extracted_uploads(ExtractionJob, job_ids=[job.pk], jobs=[job])
    job.document.refresh_from_db()
    assert job.document.file_deleted_at is not None and not job.document.path.exists()


class _TemporaryFiles:
    """Counts the temporary files made (Django's upload spool, intake's own copy)."""

    def __init__(self, monkeypatch) -> None:
        import tempfile

        from django.core.files import temp  # the spool's own name for it

        self.made: list[str] = []
        for module, name in ((temp, "NamedTemporaryFile"), (tempfile, "mkstemp")):
            real = getattr(module, name)
            monkeypatch.setattr(module, name, self._spy(name, real))

    def _spy(self, name, real):
        def spy(*args, **kwargs):
            self.made.append(name)
            return real(*args, **kwargs)

        return spy


def api_upload(api, data: bytes, name: str = "cv.txt"):
    return api.post("/api/v1/extractions", {"file": SimpleUploadedFile(name, data)})


def test_a_small_upload_answered_from_the_cache_never_touches_the_disk(api, monkeypatch):
    fill_cache()
    before = stored_files()
    spool = _TemporaryFiles(monkeypatch)
    answer = api_upload(api, TEXT)
    assert answer.status_code == 201, answer.content
    assert answer.json()["result"]["basics"]["email"] == "ada@example.com"
    assert spool.made == [] and stored_files() == before


def test_a_request_over_the_memory_threshold_is_spooled_and_read_alike(api, settings, monkeypatch):
    fill_cache()
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = len(TEXT) // 2  # the body is larger
    spool = _TemporaryFiles(monkeypatch)
    hit = api_upload(api, TEXT)
    assert hit.status_code == 201, hit.content
    assert spool.made == ["NamedTemporaryFile"]  # Django's spool, nothing of ours
    # A new file on disk is checked, probed and stored as one held in memory.
    miss = api_upload(api, TEXT.replace(b"2024", b"2025"))
    assert miss.status_code == 202, miss.content
    assert set(stored_files()) and not list(Path(settings.TMP_DIR).iterdir())


@pytest.mark.parametrize("in_memory", [True, False], ids=["in memory", "on disk"])
def test_a_bad_file_is_refused_alike_in_memory_and_on_disk(api, settings, in_memory):
    if not in_memory:
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    before = stored_files()
    answer = api_upload(api, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "cv.pdf")
    assert answer.status_code == 415 and answer.json()["error"] == "unsupported_type"
    assert "image" in answer.json()["message"]
    assert stored_files() == before and not list(Path(settings.TMP_DIR).iterdir())


def test_a_new_small_pdf_is_probed_from_a_copy_that_is_removed(api, settings, pdf_bytes):
    answer = api_upload(api, pdf_bytes, "cv.pdf")
    assert answer.status_code == 202, answer.content
    assert not list(Path(settings.TMP_DIR).iterdir())


def test_a_new_small_text_is_never_copied_to_disk_before_it_is_stored(api, monkeypatch):
    copies = []
    real = intake._write_temporary
    monkeypatch.setattr(intake, "_write_temporary", lambda c: copies.append(1) or real(c))
    answer = api_upload(api, TEXT)
    assert answer.status_code == 202, answer.content
    assert copies == []  # sniff decoded it in memory; the probe would repeat that
    assert api_upload(api, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "cv.txt").status_code == 415
