"""The local extractor's per-field confidence reaches the job, the API, cache
hits and the review page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from extraction import queue, runner
from extraction.models import ExtractionJob
from portfolios.editing import confidence_notes
from tests.extraction import badfiles as bf

pytestmark = pytest.mark.django_db

TEXT = bf.txt_utf8(
    "Sam Example\nsam@example.com\n\nExperience\nEngineer\nSome Company\n2019 - 2021\n"
)


def test_low_confidence_fields_become_sentences_naming_their_section():
    notes = confidence_notes(
        {
            "basics.email": "high",
            "work[1].startDate": "low",
            "basics.location.city": "low",
            "skills": "low",
        }
    )
    assert notes == [
        "Work entry 2: we were not sure about the start date.",
        "Your location: we were not sure we read it right.",
        "Skills: we were not sure we found them all.",
    ]


def test_confidence_is_kept_on_the_job_in_the_api_and_on_a_cache_hit(api):
    first = api.post(
        "/api/v1/extractions", {"file": SimpleUploadedFile("cv.txt", TEXT)}, format="multipart"
    ).json()["id"]
    runner.run_job(queue.claim_next("w"))
    job = ExtractionJob.objects.get(pk=first)
    assert job.confidence and set(job.confidence.values()) <= {"high", "low"}
    assert api.get(f"/api/v1/extractions/{first}").json()["confidence"] == job.confidence
    hit = api.post(
        "/api/v1/extractions", {"file": SimpleUploadedFile("cv.txt", TEXT)}, format="multipart"
    ).json()
    assert hit["cached"] and hit["confidence"] == job.confidence


def test_the_review_page_shows_low_confidence_beside_its_section(client):
    client.post("/", {"file": SimpleUploadedFile("cv.txt", TEXT)})
    runner.run_job(queue.claim_next("w"))
    job = ExtractionJob.objects.get()
    ExtractionJob.objects.filter(pk=job.pk).update(
        confidence={**job.confidence, "work[0].position": "low"}
    )
    page = client.get(f"/jobs/{job.pk}/review").content.decode()
    assert "Work entry 1: we were not sure about the position." in page
