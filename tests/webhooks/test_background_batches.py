"""A background upload call answered through the Message Batches API (issue 14
points 3 and 4 together): its callback_url hears one signed batch event once the
model batch's results are kept, with every job succeeded at the batch price."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from extraction import batches
from extraction.extractors import claude as claude_mod
from extraction.models import ExtractionJob, JobState
from tests.fakes import fake_anthropic as fa
from tests.net import Receiver
from webhooks import delivery, signing
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/extractions/batch"


def cv() -> SimpleUploadedFile:
    return SimpleUploadedFile("cv.txt", f"Person {uuid.uuid4().hex}\np@example.com\n".encode())


def test_a_background_batch_call_is_announced_when_its_model_batch_ends(
    loopback_allowed, token_api, settings, django_capture_on_commit_callbacks
):
    with fa.FakeAnthropic() as model, Receiver() as receiver:
        settings.EXTRACTOR = "claude"
        settings.ANTHROPIC_API_KEY = "test-key"
        settings.ANTHROPIC_BASE_URL = model.url
        settings.EXTRACTION_BATCH_MAX_AGE_S = 0
        claude_mod.reset_client()
        with django_capture_on_commit_callbacks(execute=True):
            r = token_api.post(
                BATCH,
                {"files": [cv(), cv(), cv()], "mode": "background", "callback_url": receiver.url()},
                format="multipart",
            )
        body = r.json()
        assert r.status_code == 202, body
        assert [j["mode"] for j in body["jobs"]] == ["background"] * 3
        with django_capture_on_commit_callbacks(execute=True):
            batches.run()  # sent
        assert not Delivery.objects.exists()  # nothing has ended yet
        with django_capture_on_commit_callbacks(execute=True):
            batches.run()  # ended: results kept
        due = list(Delivery.objects.due().values_list("pk", flat=True))
        assert [delivery.attempt(pk) for pk in due] == ["delivered"]
        claude_mod.reset_client()
    (request,) = receiver.requests
    signing.verify(body["webhook_secret"], request["headers"], request["body"])
    event = json.loads(request["body"])
    assert event["type"] == "batch.finished"
    assert event["data"]["counts"]["succeeded"] == 3
    assert model.calls == 0 and len(model.batch_items) == 3
    assert ExtractionJob.objects.filter(state=JobState.SUCCEEDED).count() == 3
