"""The extraction API as SPEC A describes it: codes, shapes, headers."""

from __future__ import annotations

import contextlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from extraction import queue, runner
from extraction.models import CacheEntry, Document, ExtractionJob, JobState
from tests.extraction import badfiles as bf
from tests.fakes import fake_anthropic as fa

pytestmark = pytest.mark.django_db

URL = "/api/v1/extractions"


def post(api, data: bytes, name: str = "cv.pdf"):
    return api.post(URL, {"file": SimpleUploadedFile(name, data)}, format="multipart")


@contextlib.contextmanager
def claude(settings, *replies, **options):
    """A fake Messages API on loopback, with the Claude extractor pointed at it."""
    with fa.FakeAnthropic(*replies, **options) as model:
        settings.EXTRACTOR = "claude"
        settings.ANTHROPIC_API_KEY = "test-key"
        settings.ANTHROPIC_BASE_URL = model.url
        yield model


def run_queue() -> None:
    """What a worker does, in-process: claim and run every ready job."""
    while (job := queue.claim_next("test-worker")) is not None:
        runner.run_job(job)


def test_upload_is_queued_with_position_eta_and_location(api, pdf_bytes):
    r = post(api, pdf_bytes)
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "queued"
    assert body["position"] == 1 and body["eta_seconds"] >= 1
    assert r["Location"] == f"{URL}/{body['id']}"
    assert r["Cache-Control"] == "no-store"


def test_a_finished_job_carries_a_valid_json_resume(api, pdf_bytes):
    from extraction.resume import validate

    job_id = post(api, pdf_bytes).json()["id"]
    run_queue()
    r = api.get(f"{URL}/{job_id}")
    body = r.json()
    assert r.status_code == 200
    assert body["status"] == "succeeded"
    assert set(body) >= {
        "id",
        "status",
        "position",
        "eta_seconds",
        "attempts",
        "cached",
        "extractor",
        "warnings",
        "result",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    }
    assert body["position"] is None and body["error"] is None
    assert body["extractor"] == "local" and body["attempts"] == 1
    validate(body["result"])
    assert body["result"]["basics"]["name"]
    assert r.has_header("ETag")


def test_same_bytes_twice_answer_201_from_cache_without_a_model_call(api, settings, pdf_bytes):
    with claude(settings) as model:
        assert post(api, pdf_bytes).status_code == 202
        run_queue()
        assert model.calls == 1
        again = post(api, pdf_bytes)
        assert again.status_code == 201
        assert again.json()["cached"] is True and again.json()["status"] == "succeeded"
        assert model.calls == 1
        # A new model is a new fingerprint: the cache misses.
        settings.ANTHROPIC_MODEL = "claude-other-model"
        assert post(api, pdf_bytes).status_code == 202
        run_queue()
        assert model.calls == 2


def test_model_output_with_javascript_urls_and_html_is_cleaned(api, settings, pdf_bytes):
    evil = {
        "basics": {
            "name": "<script>alert(1)</script>Eve",
            "url": "javascript:alert(1)",
            "profiles": [{"network": "x", "url": "data:text/html,hi"}],
        }
    }
    with claude(settings, default=fa.ok(evil)):
        job_id = post(api, pdf_bytes).json()["id"]
        run_queue()
    result = api.get(f"{URL}/{job_id}").json()["result"]
    assert "url" not in result["basics"]
    assert "javascript" not in str(result) and "data:text" not in str(result)


@pytest.mark.parametrize(
    "reply",
    [
        fa.status(429, headers={"retry-after": "3600"}),
        fa.status(529),
    ],
)
def test_a_model_that_cannot_answer_falls_back_to_local_with_a_warning(
    api, settings, pdf_bytes, reply
):
    import time

    with claude(settings, default=reply):
        settings.EXTRACTION_TIMEOUT_S = 10
        job_id = post(api, pdf_bytes).json()["id"]
        started = time.monotonic()
        run_queue()
        assert time.monotonic() - started < 10
    body = api.get(f"{URL}/{job_id}").json()
    assert body["status"] == "succeeded" and body["extractor"] == "local"
    assert "Basic extraction; AI temporarily unavailable." in body["warnings"]
    assert not CacheEntry.objects.filter(extractor="claude").exists()


def test_a_hanging_model_is_stopped_by_the_deadline(api, settings, pdf_bytes):
    import time

    with claude(settings, default=fa.hang()):
        settings.EXTRACTION_TIMEOUT_S = 3
        job_id = post(api, pdf_bytes).json()["id"]
        started = time.monotonic()
        run_queue()
        assert time.monotonic() - started < 6
    body = api.get(f"{URL}/{job_id}").json()
    assert body["status"] == "succeeded" and body["extractor"] == "local"


def test_cancel_a_queued_job_then_409_once_it_ran(api, pdf_bytes):
    first = post(api, pdf_bytes).json()["id"]
    assert api.delete(f"{URL}/{first}").status_code == 204
    assert api.get(f"{URL}/{first}").json()["status"] == "cancelled"
    second = post(api, bf.txt_utf8("Jo Doe\njo@example.com\n"), "cv.txt").json()["id"]
    run_queue()
    r = api.delete(f"{URL}/{second}")
    assert r.status_code == 409 and r.json()["error"] == "already_started"


def test_unknown_and_foreign_jobs_are_404_json(api, alice, django_user_model, pdf_bytes):
    import uuid

    r = api.get(f"{URL}/{uuid.uuid4()}")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    api.force_authenticate(alice)
    job_id = post(api, pdf_bytes).json()["id"]
    bob = django_user_model.objects.create_user("bob", "bob@example.com", "pw-bob-123")
    api.force_authenticate(bob)
    assert api.get(f"{URL}/{job_id}").status_code == 404
    assert api.delete(f"{URL}/{job_id}").status_code == 404
    api.force_authenticate(None)
    assert api.get(f"{URL}/{job_id}").status_code == 404


def test_invalid_token_is_401_json(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    r = api.get(URL)
    assert r.status_code == 401 and r.json()["error"] == "authentication_failed"


def test_own_jobs_are_listed_for_authenticated_callers(api, alice, pdf_bytes):
    assert api.get(URL).status_code in (401, 403)
    api.force_authenticate(alice)
    post(api, pdf_bytes)
    body = api.get(URL).json()
    assert body["count"] == 1 and len(body["results"]) == 1


def test_batch_accepts_good_files_and_reports_bad_ones(api, pdf_bytes):
    files = [
        SimpleUploadedFile("a.pdf", pdf_bytes),
        SimpleUploadedFile("b.txt", bf.txt_utf8("Bo Doe\nbo@example.com\n")),
        SimpleUploadedFile("c.pdf", bf.png_bytes()),
    ]
    r = api.post(f"{URL}/batch", {"files": files}, format="multipart")
    assert r.status_code == 202
    jobs = r.json()["jobs"]
    assert [("id" in j) for j in jobs] == [True, True, False]
    assert jobs[2]["error"]["code"] == "unsupported_type"
    assert [j["position"] for j in jobs[:2]] == [1, 2]


def test_batch_refuses_more_than_the_limit(api, settings):
    settings.EXTRACTION_BATCH_MAX_FILES = 3
    files = [SimpleUploadedFile(f"{i}.txt", b"Name %d\n" % i) for i in range(4)]
    r = api.post(f"{URL}/batch", {"files": files}, format="multipart")
    assert r.status_code == 400 and r.json()["error"] == "too_many_files"
    assert ExtractionJob.objects.count() == 0


def test_a_full_queue_answers_503_with_retry_after(api, settings, pdf_bytes):
    settings.EXTRACTION_MAX_QUEUE_DEPTH = 1
    post(api, bf.txt_utf8("A Person\na@example.com\n"), "a.txt")
    r = post(api, pdf_bytes)
    assert r.status_code == 503
    assert r.json()["error"] == "queue_full" and int(r["Retry-After"]) >= 1
    assert Document.objects.count() == 1  # the refused file was not kept


def test_schema_and_docs_are_served_locally(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/extractions" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def test_queued_job_status_moves_through_running_to_succeeded(api, pdf_bytes):
    job_id = post(api, pdf_bytes).json()["id"]
    job = queue.claim_next("w")
    body = api.get(f"{URL}/{job_id}").json()
    assert body["status"] == "running" and body["position"] == 0
    runner.run_job(job)
    assert ExtractionJob.objects.get(pk=job_id).state == JobState.SUCCEEDED


def test_tokens_cost_and_rate_limit_headers_are_recorded_on_the_job(api, settings, pdf_bytes):
    with claude(settings):
        job_id = post(api, pdf_bytes).json()["id"]
        run_queue()
    job = ExtractionJob.objects.get(pk=job_id)
    assert job.extractor_used == "claude" and job.model == settings.ANTHROPIC_MODEL
    assert job.input_tokens > 0 and job.output_tokens > 0 and job.cost_usd > 0
    assert any(k.startswith("anthropic-ratelimit-") for k in job.ratelimit)


def test_an_oversized_result_is_cut_and_the_person_is_told(api, settings, pdf_bytes):
    settings.SNAPSHOT_WARN_BYTES = 4_000
    settings.SNAPSHOT_MAX_BYTES = 8_000
    settings.SNAPSHOT_MAX_ITEMS = 5
    huge = {
        "basics": {"name": "Long Career"},
        "work": [
            {
                "name": f"Company {i}",
                "position": "Engineer",
                "startDate": f"{1990 + i}",
                "summary": "x" * 300,
            }
            for i in range(30)
        ],
    }
    with claude(settings, default=fa.ok(huge)):
        job_id = post(api, pdf_bytes).json()["id"]
        run_queue()
    body = api.get(f"{URL}/{job_id}").json()
    kept = {w["name"] for w in body["result"]["work"]}
    assert kept == {f"Company {i}" for i in range(25, 30)}  # the most recent five
    assert any("30 work entries" in w for w in body["warnings"]), body["warnings"]


def test_uploads_and_refusals_are_audited_with_the_client_address(api, pdf_bytes):
    from monitoring.models import AuditLog

    post(api, pdf_bytes)
    post(api, b"")
    accepted = AuditLog.objects.get(action="upload.accepted")
    refused = AuditLog.objects.get(action="upload.refused")
    assert accepted.ip == "127.0.0.1" and accepted.object_type == "extraction.document"
    assert refused.details["code"] == "empty_file"


def test_the_openapi_schema_builds_without_warnings(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/portfolios" in out.read_text()
