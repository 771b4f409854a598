"""Issue 10, item 1: an address is never proof of ownership (SPEC S-1).

Every test here is an attack from a second client on the same address (the
test client's REMOTE_ADDR is always 127.0.0.1, as behind an office NAT or a
load balancer with TRUSTED_PROXY_COUNT=0) that has neither the publisher's
cookie nor its token.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from extraction import queue, runner
from extraction.models import Document, ExtractionJob, JobState
from portfolios.models import Portfolio, State
from tests.extraction import badfiles as bf

pytestmark = pytest.mark.django_db

URL = "/api/v1/portfolios"
DOC = {
    "basics": {
        "name": "Nora Private",
        "email": "nora@example.com",
        "phone": "+44 20 7946 0001",
    }
}


@pytest.fixture
def publisher():
    return APIClient()


@pytest.fixture
def stranger():
    """Another person behind the same address, with no cookie and no token."""
    return APIClient()


def publish(client, doc=DOC) -> dict:
    r = client.post(URL, {"resume": doc}, format="json")
    assert r.status_code == 201, r.json()
    return r.json()


def test_the_publisher_gets_a_token_and_controls_through_its_session(publisher):
    body = publish(publisher)
    assert body["manage_token"] and body["manage_url"].endswith(body["manage_token"])
    listed = publisher.get(URL).json()
    assert [p["id"] for p in listed["results"]] == [body["id"]]
    assert publisher.get(f"{URL}/{body['id']}").status_code == 200


def test_a_stranger_on_the_same_address_lists_nothing_and_reads_nothing(publisher, stranger):
    body = publish(publisher)
    listed = stranger.get(URL).json()
    assert listed["count"] == 0 and listed["results"] == []
    r = stranger.get(f"{URL}/{body['id']}")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert "nora@example.com" not in r.content.decode()


def test_a_stranger_on_the_same_address_cannot_edit_erase_archive_or_restore(publisher, stranger):
    body = publish(publisher)
    pid = body["id"]
    r = stranger.patch(f"{URL}/{pid}", {"resume": {"basics": {"name": "Defaced"}}}, format="json")
    assert r.status_code == 404
    assert stranger.delete(f"{URL}/{pid}").status_code == 404
    for action in ("keep-alive", "archive"):
        assert stranger.post(f"{URL}/{pid}/{action}").status_code == 404
    p = Portfolio.objects.get(pk=pid)
    assert p.state == State.ACTIVE and p.resume["basics"]["name"] == "Nora Private"
    assert b"Defaced" not in (p.sandbox_path / "index.html").read_bytes()
    # Archived by its owner: a stranger cannot bring it back either.
    assert publisher.post(f"{URL}/{pid}/archive").json()["state"] == "archived"
    assert stranger.post(f"{URL}/{pid}/restore").status_code == 404
    assert Portfolio.objects.get(pk=pid).state == State.ARCHIVED


@pytest.mark.parametrize(
    "header",
    [
        lambda t: {"HTTP_X_MANAGE_TOKEN": t},
        lambda t: {"HTTP_AUTHORIZATION": f"Manage {t}"},
    ],
    ids=["x-manage-token", "authorization-manage"],
)
def test_the_manage_token_in_a_header_gives_control_without_a_session(publisher, header):
    body = publish(publisher)
    pid, token = body["id"], body["manage_token"]
    other = APIClient()  # e.g. the same person's script, with no cookie jar
    other.credentials(**header(token))
    assert [p["id"] for p in other.get(URL).json()["results"]] == [pid]
    r = other.patch(f"{URL}/{pid}", {"theme": "minimal"}, format="json")
    assert r.status_code == 200 and r.json()["theme"] == "minimal"
    assert other.delete(f"{URL}/{pid}").status_code == 204
    assert not Portfolio.objects.exists()


def test_a_wrong_or_absurd_token_gives_nothing(publisher):
    pid = publish(publisher)["id"]
    for token in ("w" * 43, "x" * 10_000, ""):
        other = APIClient()
        other.credentials(HTTP_X_MANAGE_TOKEN=token)
        assert other.get(f"{URL}/{pid}").status_code == 404
        assert other.get(URL).json()["count"] == 0


def test_one_portfolios_token_does_not_open_another(publisher):
    first = publish(publisher)
    # One live anonymous portfolio per address: the first goes offline first.
    assert publisher.post(f"{URL}/{first['id']}/archive").status_code == 200
    other = publish(APIClient(), {"basics": {"name": "Other Person"}})
    holder = APIClient()
    holder.credentials(HTTP_X_MANAGE_TOKEN=first["manage_token"])
    assert holder.get(f"{URL}/{other['id']}").status_code == 404
    assert [p["id"] for p in holder.get(URL).json()["results"]] == [first["id"]]


def test_a_signed_in_stranger_is_no_better_off(publisher, django_user_model):
    pid = publish(publisher)["id"]
    mallory = django_user_model.objects.create_user("mallory", "m@example.com", "pw-mallory-1")
    client = APIClient()
    client.force_authenticate(mallory)
    assert client.get(URL).json()["count"] == 0
    assert client.delete(f"{URL}/{pid}").status_code == 404
    assert Portfolio.objects.filter(pk=pid).exists()


# --- Extraction jobs: cancelling and publishing from them -------------------------


def upload(client) -> dict:
    r = client.post(
        "/api/v1/extractions",
        {"file": SimpleUploadedFile("cv.txt", bf.txt_utf8("Nora Private\nnora@example.com\n"))},
        format="multipart",
    )
    assert r.status_code in (201, 202), r.json()
    return r.json()


def test_an_anonymous_upload_answers_a_token_and_a_stranger_cannot_cancel(publisher, stranger):
    body = upload(publisher)
    assert body["manage_token"]
    r = stranger.delete(f"/api/v1/extractions/{body['id']}")
    assert r.status_code == 404
    assert ExtractionJob.objects.get(pk=body["id"]).state == JobState.QUEUED
    # Its uploader can, by session or by token.
    holder = APIClient()
    holder.credentials(HTTP_X_MANAGE_TOKEN=body["manage_token"])
    assert holder.delete(f"/api/v1/extractions/{body['id']}").status_code == 204


def test_a_stranger_cannot_publish_from_someone_elses_extraction_then_erase_it(publisher, stranger):
    """Publishing from a job ties its upload to the portfolio; erasing that
    portfolio deletes the upload. A stranger who saw the job id must not."""
    body = upload(publisher)
    runner.run_job(queue.claim_next("w"))
    r = stranger.post(URL, {"extraction": body["id"]}, format="json")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert not Portfolio.objects.exists()
    assert Document.objects.count() == 1
    # The uploader's token works where its session is not.
    holder = APIClient()
    holder.credentials(HTTP_X_MANAGE_TOKEN=body["manage_token"])
    assert holder.post(URL, {"extraction": body["id"]}, format="json").status_code == 201


def test_a_signed_in_users_upload_needs_no_token_and_gets_none(alice):
    client = APIClient()
    client.force_authenticate(alice)
    assert "manage_token" not in upload(client)


# --- Idempotency-Key (item 4) -------------------------------------------------------


def test_someone_elses_idempotency_key_returns_nothing_of_theirs(publisher, stranger):
    first = publisher.post(URL, {"resume": DOC}, format="json", HTTP_IDEMPOTENCY_KEY="order-42")
    assert first.status_code == 201
    Portfolio.objects.filter(pk=first.json()["id"]).update(state=State.ARCHIVED)
    r = stranger.post(
        URL,
        {"resume": {"basics": {"name": "Eve"}}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="order-42",
    )
    assert r.status_code == 201 and r.json()["id"] != first.json()["id"]
    assert "Nora" not in r.content.decode() and "nora@example.com" not in r.content.decode()
    assert Portfolio.objects.count() == 2


def test_a_key_claimed_first_by_a_stranger_does_not_block_its_owner(publisher, stranger):
    claimed = stranger.post(
        URL, {"resume": {"basics": {"name": "Eve"}}}, format="json", HTTP_IDEMPOTENCY_KEY="k-7"
    )
    assert claimed.status_code == 201
    Portfolio.objects.filter(pk=claimed.json()["id"]).update(state=State.ARCHIVED)
    mine = publisher.post(URL, {"resume": DOC}, format="json", HTTP_IDEMPOTENCY_KEY="k-7")
    assert mine.status_code == 201 and mine.json()["resume"]["basics"]["name"] == "Nora Private"


def test_the_same_key_with_another_body_is_409(publisher):
    assert (
        publisher.post(URL, {"resume": DOC}, format="json", HTTP_IDEMPOTENCY_KEY="k-9").status_code
        == 201
    )
    again = publisher.post(URL, {"resume": DOC}, format="json", HTTP_IDEMPOTENCY_KEY="k-9")
    assert again.status_code == 201 and again.json()["manage_token"] is None
    other = publisher.post(
        URL, {"resume": DOC, "theme": "minimal"}, format="json", HTTP_IDEMPOTENCY_KEY="k-9"
    )
    assert other.status_code == 409 and other.json()["error"] == "idempotency_conflict"
    assert Portfolio.objects.count() == 1


def test_an_absurd_idempotency_key_is_a_400(publisher):
    r = publisher.post(URL, {"resume": DOC}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 1000)
    assert r.status_code == 400 and r.json()["error"] == "invalid_idempotency_key"
    assert not Portfolio.objects.exists()


# --- Cheap checks before costly work (item 2) --------------------------------------


def test_a_huge_document_is_refused_by_its_size_before_it_is_parsed(publisher, settings):
    settings.SNAPSHOT_MAX_BYTES = 10_000
    doc = {"basics": {"name": "x", "summary": "y" * 30_000}}
    r = publisher.post(URL, {"resume": doc}, format="json")
    assert r.status_code == 413 and r.json()["error"] == "document_too_large"
    assert not Portfolio.objects.exists()


def test_a_caller_at_the_limit_costs_no_rendering(publisher, monkeypatch):
    from portfolios import publishing

    publish(publisher)
    calls = []

    def prepare(*args, **kwargs):
        calls.append(args)
        raise AssertionError("rendered for a caller at the limit")

    monkeypatch.setattr(publishing, "prepare", prepare)
    r = publisher.post(URL, {"resume": DOC}, format="json")
    assert r.status_code == 409 and r.json()["error"] == "portfolio_limit"
    assert calls == []


def test_the_oldest_portfolio_is_named_only_to_whoever_controls_it(publisher, stranger):
    first = publish(publisher)
    mine = publisher.post(URL, {"resume": DOC}, format="json")
    assert mine.status_code == 409 and mine.json()["oldest"] == first["id"]
    theirs = stranger.post(URL, {"resume": DOC}, format="json")
    assert theirs.status_code == 409 and theirs.json()["oldest"] is None


# --- Redirects (item 13) -------------------------------------------------------------


def test_owner_archive_refuses_a_next_that_leaves_the_site(client, alice):
    from portfolios import publishing

    p = publishing.publish(
        resume=DOC, theme="classic", owner=alice, retention_hours=24, active_limit=5
    ).portfolio
    client.force_login(alice)
    for evil in ("/\\evil.example", "//evil.example", "https://evil.example/", "/\\/evil.example"):
        Portfolio.objects.filter(pk=p.pk).update(state=State.ACTIVE)
        r = client.post(f"/portfolios/{p.pk}/archive", {"next": evil})
        assert r.status_code == 303 and r["Location"] == "/portfolios/", evil
    Portfolio.objects.filter(pk=p.pk).update(state=State.ACTIVE)
    r = client.post(f"/portfolios/{p.pk}/archive", {"next": "/jobs/x/publish"})
    assert r["Location"] == "/jobs/x/publish"


# --- The owner's own download (item 12) ---------------------------------------------


def test_the_owner_downloads_everything_a_stranger_nothing(publisher, stranger):
    import io
    import json
    import zipfile

    doc = {
        "basics": {
            "name": "Nora Private",
            "location": {"address": "12 Hidden Lane", "postalCode": "ZZ9 9ZZ", "city": "Leeds"},
        },
        "references": [{"name": "Dr Referee", "reference": "Reliable."}],
    }
    body = publish(publisher, doc)
    pid, slug = body["id"], body["slug"]
    public = publisher.get(f"/p/{slug}/resume.json").content.decode()
    assert "12 Hidden Lane" not in public and "Dr Referee" not in public
    holder = APIClient()
    holder.credentials(HTTP_X_MANAGE_TOKEN=body["manage_token"])
    full = json.loads(holder.get(f"{URL}/{pid}/download/resume.json").content)
    assert full["basics"]["location"]["postalCode"] == "ZZ9 9ZZ"
    assert full["references"][0]["name"] == "Dr Referee"
    archive = zipfile.ZipFile(io.BytesIO(holder.get(f"{URL}/{pid}/download/site.zip").content))
    assert b"12 Hidden Lane" in archive.read("resume.json")
    assert stranger.get(f"{URL}/{pid}/download/site.zip").status_code == 404
    assert holder.get(f"{URL}/{pid}/download/../../etc/passwd").status_code == 404
    assert holder.get(f"{URL}/{pid}/download/index.html").status_code == 404
