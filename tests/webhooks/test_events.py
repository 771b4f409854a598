"""Which events are sent, to whom, once (issue 14 point 4): a job's end to the
token's endpoints and to a single upload's callback_url, a batch's end once to
its callback_url, whatever path ended the jobs (a run, the cache, a join, a
cancel). The secret is shown once and stored encrypted."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from extraction import queue
from extraction.models import ExtractionJob, JobState
from quotas.models import ApiToken
from tests.extraction import badfiles as bf
from tests.helpers import run_to_the_end
from tests.net import Receiver
from webhooks import delivery, signing
from webhooks.models import Delivery, DeliveryState, Endpoint, SigningKey, UploadBatch

pytestmark = pytest.mark.django_db

UPLOAD, BATCH, HOOKS = "/api/v1/extractions", "/api/v1/extractions/batch", "/api/v1/webhooks"


def cv(text: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "cv.txt", bf.txt_utf8(text or f"Person {uuid.uuid4().hex}\np@example.com\n")
    )


def deliver_all() -> list[str]:
    """What the workers would do with every delivery due now."""
    return [delivery.attempt(pk) for pk in Delivery.objects.due().values_list("pk", flat=True)]


def events(receiver: Receiver) -> list[dict]:
    return [json.loads(r["body"]) for r in receiver.requests]


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run every queued job, with what commits trigger (job_finished and its listeners)."""

    def go() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            run_to_the_end()

    return go


def register(token_api, url: str, **extra) -> dict:
    r = token_api.post(HOOKS, {"url": url, **extra}, format="json")
    assert r.status_code == 201, r.content
    return r.json()


def test_a_registered_endpoint_hears_each_job_end_signed_with_the_secret_shown_once(
    loopback_allowed, token_api, run, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        endpoint = register(token_api, receiver.url())
        secret = endpoint["secret"]
        assert "secret" not in register(token_api, receiver.url("/second"))  # shown once
        with django_capture_on_commit_callbacks(execute=True):
            job_id = token_api.post(UPLOAD, {"file": cv()}, format="multipart").json()["id"]
        run()
        assert deliver_all() == ["delivered", "delivered"]
    assert {r["path"] for r in receiver.requests} == {"/hook", "/second"}
    for request in receiver.requests:
        signing.verify(secret, request["headers"], request["body"])
    event = events(receiver)[0]
    assert event["type"] == "extraction.finished"
    assert event["data"]["id"] == job_id and event["data"]["status"] == "succeeded"
    assert event["data"]["url"].endswith(f"/api/v1/extractions/{job_id}")
    assert "result" not in event["data"]  # thin events: nothing the CV says


def test_the_secret_is_stored_encrypted(token_api, token):
    secret = register(token_api, "https://hooks.example.com/x")["secret"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_signingkey")
        (stored,) = cursor.fetchone()
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    assert SigningKey.objects.get(token=token[0]).secret == secret


def test_a_batch_with_a_callback_url_gets_one_signed_batch_event(
    loopback_allowed, token_api, run, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        with django_capture_on_commit_callbacks(execute=True):
            r = token_api.post(
                BATCH,
                {"files": [cv(), cv(), cv()], "callback_url": receiver.url()},
                format="multipart",
            )
        body = r.json()
        assert r.status_code == 202 and body["batch"]["callback_url"] == receiver.url()
        secret = body["webhook_secret"]
        run()
        run()  # nothing more to run: nothing is announced twice
        assert deliver_all() == ["delivered"]
    (event,) = events(receiver)
    signing.verify(secret, receiver.requests[0]["headers"], receiver.requests[0]["body"])
    assert event["type"] == "batch.finished" and event["data"]["id"] == body["batch"]["id"]
    ok = [e for e in body["jobs"] if "id" in e]
    assert {j["id"] for j in event["data"]["jobs"]} == {e["id"] for e in ok}
    counts = event["data"]["counts"]
    assert counts["succeeded"] + counts["failed"] == len(ok) and counts["cancelled"] == 0
    assert UploadBatch.objects.get().finished_at is not None


def test_a_batch_answered_from_the_cache_is_announced_at_once(
    loopback_allowed, token_api, run, django_capture_on_commit_callbacks
):
    text = "Cached Person\ncached@example.com\n"
    with django_capture_on_commit_callbacks(execute=True):
        token_api.post(UPLOAD, {"file": cv(text)}, format="multipart")
    run()  # the cache now holds it
    with Receiver() as receiver:
        with django_capture_on_commit_callbacks(execute=True):
            r = token_api.post(
                BATCH, {"files": [cv(text)], "callback_url": receiver.url()}, format="multipart"
            )
        assert r.json()["jobs"][0]["cached"] is True
        assert deliver_all() == ["delivered"]
    (event,) = events(receiver)
    assert event["data"]["counts"]["succeeded"] == 1


def test_a_single_uploads_callback_url_hears_its_job(
    loopback_allowed, token_api, run, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        with django_capture_on_commit_callbacks(execute=True):
            r = token_api.post(
                UPLOAD, {"file": cv(), "callback_url": receiver.url()}, format="multipart"
            )
        assert r.status_code == 202 and r.json()["webhook_secret"].startswith("whsec_")
        run()
        assert deliver_all() == ["delivered"]
    (event,) = events(receiver)
    assert event["type"] == "extraction.finished" and event["data"]["id"] == r.json()["id"]
    assert event["data"]["batch"] is None


def test_a_cancelled_job_is_announced_and_counted(
    loopback_allowed, token_api, run, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        register(token_api, receiver.url(), events=["batch.finished"])
        with django_capture_on_commit_callbacks(execute=True):
            jobs = token_api.post(BATCH, {"files": [cv(), cv()]}, format="multipart").json()
            cancelled = jobs["jobs"][1]["id"]
            assert token_api.delete(f"{UPLOAD}/{cancelled}").status_code == 204
        run()
        assert deliver_all() == ["delivered"]  # only the batch: the endpoint chose so
    (event,) = events(receiver)
    assert event["data"]["counts"] == {"succeeded": 1, "failed": 0, "cancelled": 1}


def test_a_job_that_joined_an_identical_one_is_announced_when_it_ends(
    loopback_allowed, token_api, api, run, django_capture_on_commit_callbacks
):
    text = "Joined Person\njoined@example.com\n"
    with Receiver() as receiver:
        register(token_api, receiver.url())
        api.post(UPLOAD, {"file": cv(text)}, format="multipart")  # someone else, first
        with django_capture_on_commit_callbacks(execute=True):
            mine = token_api.post(UPLOAD, {"file": cv(text)}, format="multipart").json()["id"]
        assert ExtractionJob.objects.get(pk=mine).joined_to_id is not None
        run()
        assert deliver_all() == ["delivered"]
    assert events(receiver)[0]["data"]["id"] == mine


def test_uploads_without_a_token_or_anyone_to_tell_make_no_record(api, token_api):
    api.post(UPLOAD, {"file": cv()}, format="multipart")
    token_api.post(UPLOAD, {"file": cv()}, format="multipart")  # no endpoint, no callback
    assert not UploadBatch.objects.exists()


def test_the_batch_page_lists_its_jobs_with_results_for_its_owner_only(
    token_api, api, alice, run, django_capture_on_commit_callbacks
):
    register(token_api, "https://hooks.example.com/x")
    with django_capture_on_commit_callbacks(execute=True):
        body = token_api.post(BATCH, {"files": [cv(), cv()]}, format="multipart").json()
    run()
    r = token_api.get(f"/api/v1/batches/{body['batch']['id']}")
    assert r.status_code == 200
    assert [j["status"] for j in r.json()["jobs"]] == ["succeeded", "succeeded"]
    assert all(j["result"]["basics"] for j in r.json()["jobs"])
    api.force_authenticate(alice)
    assert api.get(f"/api/v1/batches/{body['batch']['id']}").status_code == 404


def test_endpoints_are_listed_removed_and_limited(token_api, settings, token):
    settings.WEBHOOK_MAX_ENDPOINTS = 2
    first = register(token_api, "https://hooks.example.com/a")
    r = token_api.post(HOOKS, {"url": "https://hooks.example.com/a"}, format="json")
    assert r.status_code == 409 and r.json()["error"] == "endpoint_exists"
    register(token_api, "https://hooks.example.com/b")
    r = token_api.post(HOOKS, {"url": "https://hooks.example.com/c"}, format="json")
    assert r.status_code == 400 and r.json()["error"] == "too_many_endpoints"
    assert len(token_api.get(HOOKS).json()["results"]) == 2
    assert token_api.delete(f"{HOOKS}/{first['id']}").status_code == 204
    assert len(token_api.get(HOOKS).json()["results"]) == 1
    assert Endpoint.objects.get(pk=first["id"]).disabled_at is not None


def test_another_tokens_endpoint_cannot_be_removed(token_api, consumer):
    mine = register(token_api, "https://hooks.example.com/a")
    from rest_framework.test import APIClient

    _, other_key = ApiToken.issue(consumer, "other")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {other_key}")
    assert other.delete(f"{HOOKS}/{mine['id']}").status_code == 404


@pytest.mark.parametrize(
    "body",
    [{}, {"url": ""}, {"url": "https://hooks.example.com/x", "events": ["nope"]}, {"url": 5}],
)
def test_a_bad_registration_body_is_a_400(token_api, body):
    r = token_api.post(HOOKS, body, format="json")
    assert r.status_code == 400
    assert r.json()["error"] in ("invalid_request", "invalid_url", "scheme_not_allowed")


def test_rotating_the_secret_signs_with_the_new_one(loopback_allowed, token_api, token):
    old = register(token_api, "https://hooks.example.com/x")["secret"]
    r = token_api.post(f"{HOOKS}/secret")
    new = r.json()["secret"]
    assert r.status_code == 200 and new != old
    assert SigningKey.objects.get(token=token[0]).secret == new


def test_a_removed_endpoints_pending_deliveries_stop(
    loopback_allowed, token_api, run, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        endpoint = register(token_api, receiver.url())
        with django_capture_on_commit_callbacks(execute=True):
            token_api.post(UPLOAD, {"file": cv()}, format="multipart")
        run()
        token_api.delete(f"{HOOKS}/{endpoint['id']}")
        assert deliver_all() == ["failed"]
    assert receiver.requests == []
    assert Delivery.objects.get().last_error == "endpoint_removed"


def test_a_failing_listener_never_breaks_the_job(monkeypatch, token_api, run, caplog):
    from webhooks import events as webhook_events

    register(token_api, "https://hooks.example.com/x")
    token_api.post(UPLOAD, {"file": cv()}, format="multipart")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(webhook_events, "announce", broken)
    run()
    assert ExtractionJob.objects.get().state == JobState.SUCCEEDED
    assert "job_finished listener" in caplog.text
    assert queue.status().waiting == 0
    assert not Delivery.objects.filter(state=DeliveryState.PENDING).exists()


def test_a_job_no_upload_call_follows_costs_one_look_at_the_link_table():
    from django.test.utils import CaptureQueriesContext

    from extraction import intake
    from webhooks import events as webhook_events

    job = intake.accept(cv())
    with CaptureQueriesContext(connection) as queries:
        webhook_events.jobs_finished(ExtractionJob, job_ids=[job.pk])
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert "DISTINCT" not in sql.upper() and UploadBatch.jobs.through._meta.db_table in sql
    assert not Delivery.objects.exists()
