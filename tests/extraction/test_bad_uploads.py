"""Every bad file the issue names, through the API and the page: a clear 4xx,
no 500, nothing half-stored."""

from __future__ import annotations

import os

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from extraction.models import Document, ExtractionJob
from tests.extraction import badfiles as bf
from tests.helpers import run_to_the_end

pytestmark = pytest.mark.django_db

URL = "/api/v1/extractions"

BAD = [
    ("empty", b"", "cv.pdf", 400, "empty_file"),
    ("png named pdf", bf.png_bytes(), "cv.pdf", 415, "unsupported_type"),
    ("docx not a zip", bf.docx_not_a_zip(), "cv.docx", None, None),
    ("docx zip bomb", bf.docx_zip_bomb(), "cv.docx", 400, "docx_too_large"),
    ("encrypted pdf", bf.pdf_encrypted(), "cv.pdf", 400, "encrypted_pdf"),
    ("image-only pdf", bf.pdf_image_only(), "cv.pdf", 400, "no_text_layer"),
    ("300-page pdf", bf.pdf_many_pages(300), "cv.pdf", 400, "too_many_pages"),
    ("pdf named docx", bf.pdf_with_text(), "cv.docx", 415, "type_mismatch"),
]


def leftovers() -> list[str]:
    found = []
    for folder in (django_settings.UPLOAD_DIR, django_settings.TMP_DIR):
        for _root, _dirs, files in os.walk(folder):
            found += files
    return found


@pytest.mark.parametrize("label,data,name,status,code", BAD, ids=[b[0] for b in BAD])
def test_api_refuses_bad_files_clearly_and_keeps_nothing(api, label, data, name, status, code):
    r = api.post(URL, {"file": SimpleUploadedFile(name, data)}, format="multipart")
    body = r.json()
    if status is None:
        assert 400 <= r.status_code < 500
    else:
        assert r.status_code == status, body
        assert body["error"] == code
    assert body["message"] and "Traceback" not in body["message"]
    assert Document.objects.count() == 0 and ExtractionJob.objects.count() == 0
    assert leftovers() == []


@pytest.mark.parametrize("label,data,name,status,code", BAD, ids=[b[0] for b in BAD])
def test_upload_page_refuses_bad_files_with_a_message(client, label, data, name, status, code):
    r = client.post("/", {"file": SimpleUploadedFile(name, data)})
    assert 400 <= r.status_code < 500
    assert b"We could not take this file" in r.content
    assert Document.objects.count() == 0
    assert leftovers() == []


def test_a_missing_file_field_is_400(api, client):
    r = api.post(URL, {}, format="multipart")
    assert r.status_code == 400 and r.json()["error"] == "no_file"
    assert client.post("/", {}).status_code == 400


@pytest.mark.parametrize("data", [bf.txt_latin1(), bf.txt_utf16_bom()], ids=["latin1", "utf16"])
def test_text_in_latin1_and_utf16_is_read(api, data):
    from extraction import queue, runner

    r = api.post(URL, {"file": SimpleUploadedFile("cv.txt", data)}, format="multipart")
    assert r.status_code == 202
    runner.run_job(queue.claim_next("w"))
    body = api.get(f"{URL}/{r.json()['id']}").json()
    assert body["status"] == "succeeded", body["error"]


def test_a_hostile_file_name_never_becomes_a_path(api):
    name = bf.traversal_file_name()
    r = api.post(URL, {"file": SimpleUploadedFile(name, bf.pdf_with_text())}, format="multipart")
    assert r.status_code == 202
    doc = Document.objects.get()
    assert "/" not in doc.original_name and "\x00" not in doc.original_name
    assert doc.path.parent == django_settings.UPLOAD_DIR
    assert doc.path.exists() and ".." not in doc.storage_name


def test_a_pdf_that_loops_the_parser_fails_the_job_and_the_worker_lives(api, settings):
    settings.EXTRACTION_PARSE_TIMEOUT_S = 1.0
    r = api.post(
        URL, {"file": SimpleUploadedFile("cv.pdf", bf.pdf_slow_to_parse())}, format="multipart"
    )
    assert r.status_code == 202, r.json()
    run_to_the_end()
    body = api.get(f"{URL}/{r.json()['id']}").json()
    assert body["status"] == "failed"
    assert body["error"]["code"] == "parse_timeout"


def test_a_pdf_decompression_bomb_is_refused_with_bounded_memory(api, settings):
    import resource

    from extraction import queue, runner

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = api.post(
        URL, {"file": SimpleUploadedFile("cv.pdf", bf.pdf_decompression_bomb())}, format="multipart"
    )
    if r.status_code == 202:
        runner.run_job(queue.claim_next("w"))
        body = api.get(f"{URL}/{r.json()['id']}").json()
        assert body["status"] == "failed"
        assert body["error"]["code"] in ("file_too_complex", "invalid_pdf")
    else:
        assert 400 <= r.status_code < 500
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100


def test_a_docx_with_an_external_entity_leaks_nothing(api):
    from extraction import queue, runner

    r = api.post(
        URL,
        {"file": SimpleUploadedFile("cv.docx", bf.docx_with_external_entity())},
        format="multipart",
    )
    if r.status_code == 202:
        runner.run_job(queue.claim_next("w"))
        body = api.get(f"{URL}/{r.json()['id']}").json()
        assert "root:" not in str(body)
    else:
        assert 400 <= r.status_code < 500 and "root:" not in r.content.decode()
