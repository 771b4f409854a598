"""Server-rendered pages: upload, job states, result, download, cancel."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from extraction import queue, runner
from extraction.models import ExtractionJob, JobState
from tests.extraction import badfiles as bf
from tests.helpers import run_to_the_end

pytestmark = pytest.mark.django_db


def upload(client, data: bytes = None, name: str = "cv.txt"):
    data = data or bf.txt_utf8("Jane Example\njane@example.com\n")
    return client.post("/", {"file": SimpleUploadedFile(name, data)})


def test_the_upload_page_says_its_limits_in_words(client):
    r = client.get("/")
    text = r.content.decode()
    assert r.status_code == 200
    assert "up to 10 MB and 20 pages" in text
    assert "Scanned CVs" in text
    assert 'name="csrfmiddlewaretoken"' in text
    assert "script-src 'self'" in r["Content-Security-Policy"]


def test_uploading_leads_to_the_job_page_with_position_and_wait(client):
    r = upload(client)
    assert r.status_code == 302
    page = client.get(r["Location"])
    text = page.content.decode()
    assert "Waiting in line" in text
    assert '<span id="position">1</span>' in text
    # Without JavaScript the page refreshes itself; with it, job.js polls.
    assert '<noscript><meta http-equiv="refresh"' in text
    assert "js/job.js" in text and "<script>" not in text


def test_a_finished_job_shows_the_cv_and_a_download_link(client):
    job_url = upload(client)["Location"]
    runner.run_job(queue.claim_next("w"))
    text = client.get(job_url).content.decode()
    assert "Here is what we found" in text
    assert "Jane Example" in text
    assert "Download JSON Resume" in text and "refresh" not in text
    download = client.get(job_url + "resume.json")
    assert download["Content-Disposition"] == 'attachment; filename="resume.json"'
    assert json.loads(download.content)["basics"]["email"] == "jane@example.com"


def test_cv_content_is_escaped_in_the_page(client):
    evil = bf.txt_utf8("<script>alert(1)</script> Mallory\nmallory@example.com\n")
    job_url = upload(client, evil)["Location"]
    runner.run_job(queue.claim_next("w"))
    text = client.get(job_url).content.decode()
    assert "<script>alert(1)" not in text


def test_a_failed_job_explains_and_offers_another_try(client, settings):
    settings.EXTRACTION_PARSE_TIMEOUT_S = 1.0
    job_url = upload(client, bf.pdf_slow_to_parse(), "cv.pdf")["Location"]
    run_to_the_end()
    text = client.get(job_url).content.decode()
    assert "We could not read this CV" in text
    assert "Try again with another file" in text


def test_a_queued_job_can_be_cancelled_from_its_page(client):
    job_url = upload(client)["Location"]
    job = ExtractionJob.objects.get()
    r = client.post(f"/jobs/{job.pk}/cancel")
    assert r.status_code == 302
    assert ExtractionJob.objects.get().state == JobState.CANCELLED
    assert "Cancelled" in client.get(job_url).content.decode()


def test_a_full_queue_gets_a_page_with_retry_after(client, settings):
    settings.EXTRACTION_MAX_QUEUE_DEPTH = 0
    r = upload(client)
    assert r.status_code == 503 and int(r["Retry-After"]) >= 1
    assert b"The queue is full" in r.content


def test_someone_elses_job_page_is_404(client, alice, django_user_model):
    client.force_login(alice)
    job_url = upload(client)["Location"]
    bob = django_user_model.objects.create_user("bob", "b@example.com", "pw-bob-123")
    client.force_login(bob)
    assert client.get(job_url).status_code == 404
    assert client.get(job_url + "resume.json").status_code == 404


def test_the_favicon_is_found(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 301 and r["Location"].endswith("favicon.svg")


# -- the upload page kept for visitors who are not signed in (issue 13)

TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def _without_token(content: bytes) -> bytes:
    return TOKEN.sub(b'name="csrfmiddlewaretoken" value=""', content)


def test_the_kept_upload_page_is_the_rendered_one_with_each_visitor_s_own_token():
    from django.test import Client

    first = Client(enforce_csrf_checks=True)
    rendered = first.get("/")  # fragments cached
    kept_once = first.get("/")  # the page kept
    visitor = Client(enforce_csrf_checks=True)
    kept = visitor.get("/")
    assert kept.templates == []  # no template rendered: the kept page
    assert _without_token(kept.content) == _without_token(rendered.content)
    assert kept["Content-Type"] == rendered["Content-Type"]
    assert "script-src 'self'" in kept["Content-Security-Policy"]
    # Each answer its own token, and a token that works: the upload form posts.
    tokens = {TOKEN.search(r.content).group(1) for r in (rendered, kept_once, kept)}
    assert len(tokens) == 3
    token = TOKEN.search(kept.content).group(1).decode()
    assert "csrftoken" in visitor.cookies
    r = visitor.post(
        "/",
        {"file": SimpleUploadedFile("cv.txt", bf.txt_utf8("Jane\n")), "csrfmiddlewaretoken": token},
    )
    assert r.status_code == 302


def test_the_upload_page_shows_a_changed_allowance_and_queue_at_once(settings):
    from django.core.cache import cache
    from django.test import Client

    settings.EXTRACTION_MAX_QUEUE_DEPTH = 1
    visitor = Client()
    visitor.get("/")
    before = visitor.get("/").content.decode()
    assert "3 more CVs" in before and "The queue is full" not in before
    assert upload(visitor).status_code == 302  # one extraction used, the queue full
    after = visitor.get("/").content.decode()
    assert "2 more CVs" in after
    # The queue's fragment is recomputed when it expires: then the page follows at once.
    cache.clear()
    visitor.get("/")
    assert "The queue is full" in visitor.get("/").content.decode()


def test_a_signed_in_person_gets_their_own_menu_on_the_upload_page(client, alice):
    from django.test import Client

    Client().get("/")
    Client().get("/")  # kept for visitors
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert "Log out" in page and "Sign up" not in page
