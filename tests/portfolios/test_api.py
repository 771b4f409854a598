"""The portfolio rows of SPEC A, /api/v1/status, and portfolio bad inputs."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from extraction import queue, runner
from portfolios import publishing, sandbox
from portfolios.models import Portfolio, PortfolioRequest, State
from tests.extraction import badfiles as bf

pytestmark = pytest.mark.django_db

URL = "/api/v1/portfolios"
DOC = {"basics": {"name": "Api Person", "email": "api@example.com"}}


def finished_extraction(api) -> str:
    r = api.post(
        "/api/v1/extractions",
        {"file": SimpleUploadedFile("cv.txt", bf.txt_utf8("Api Person\napi@example.com\n"))},
        format="multipart",
    )
    runner.run_job(queue.claim_next("w"))
    return r.json()["id"]


def test_publish_from_an_extraction_answers_201_with_urls(api, alice):
    api.force_authenticate(alice)
    r = api.post(URL, {"extraction": finished_extraction(api), "theme": "minimal"}, format="json")
    body = r.json()
    assert r.status_code == 201, body
    assert (
        body["state"] == "active" and body["slug"] and body["url"].endswith(f"/p/{body['slug']}/")
    )
    token = body["manage_url"].rsplit("/", 1)[1]
    assert Portfolio.objects.get(pk=body["id"]).check_token(token)
    assert r["Cache-Control"] == "no-store"


def test_publish_from_a_document_and_list_read_patch_delete(api, alice):
    api.force_authenticate(alice)
    pid = api.post(URL, {"resume": DOC}, format="json").json()["id"]
    listed = api.get(URL).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == pid
    assert api.get(f"{URL}/{pid}").json()["resume"]["basics"]["name"] == "Api Person"
    r = api.patch(
        f"{URL}/{pid}",
        {"resume": {"basics": {"name": "New Name"}}, "theme": "classic"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["theme"] == "classic"
    p = Portfolio.objects.get(pk=pid)
    assert b"New Name" in (p.sandbox_path / "index.html").read_bytes()
    assert api.delete(f"{URL}/{pid}").status_code == 204
    assert not Portfolio.objects.exists() and not p.sandbox_path.exists()


def test_lifecycle_actions(api, alice):
    api.force_authenticate(alice)
    pid = api.post(URL, {"resume": DOC}, format="json").json()["id"]
    Portfolio.objects.filter(pk=pid).update(state=State.WARNING)
    assert api.post(f"{URL}/{pid}/keep-alive").json()["state"] == "active"
    assert api.post(f"{URL}/{pid}/archive").json()["state"] == "archived"
    assert api.post(f"{URL}/{pid}/archive").status_code == 409
    assert api.post(f"{URL}/{pid}/restore").json()["state"] == "active"


def test_at_capacity_the_answer_is_202_waiting(api, settings):
    settings.PORTFOLIO_CAPACITY = settings.CAPACITY_HIGH_DEMAND_AT = 1
    settings.CAPACITY_WARN_AT = 1
    settings.QUOTA_TIERS = {
        **settings.QUOTA_TIERS,
        "anonymous": {**settings.QUOTA_TIERS["anonymous"], "active_portfolios": 5},
    }
    assert api.post(URL, {"resume": DOC}, format="json").status_code == 201
    r = api.post(URL, {"resume": DOC}, format="json")
    assert r.status_code == 202
    assert r.json()["status"] == "waiting" and r.json()["position"] == 1
    assert r.json()["eta_seconds"] > 0


def test_status_reports_capacity_and_both_queues(api):
    body = api.get("/api/v1/status").json()
    assert body["capacity"] == {"limit": 20, "in_use": 0, "state": "normal"}
    assert set(body["extraction_queue"]) == {"depth", "running", "max_depth", "eta_seconds"}
    assert set(body["portfolio_queue"]) == {"depth", "eta_seconds"}


def test_someone_elses_portfolio_is_404(api, alice, django_user_model):
    api.force_authenticate(alice)
    pid = api.post(URL, {"resume": DOC}, format="json").json()["id"]
    bob = django_user_model.objects.create_user("bob", "b@example.com", "pw-bob-1234")
    api.force_authenticate(bob)
    for call in (api.get, api.patch, api.delete):
        assert call(f"{URL}/{pid}").status_code == 404
    assert api.post(f"{URL}/{pid}/archive").status_code == 404


@pytest.mark.parametrize(
    "payload,code",
    [
        ({}, "invalid_request"),
        ({"resume": DOC, "theme": "no-such-theme"}, "unknown_theme"),
        ({"resume": {"basics": {"email": "x@example.com"}}}, "name_required"),
        ({"resume": "not a document"}, "name_required"),
    ],
)
def test_bad_publications_are_400_with_a_code(api, payload, code):
    r = api.post(URL, payload, format="json")
    assert r.status_code == 400 and r.json()["error"] == code, r.json()
    assert not Portfolio.objects.exists()


def test_the_tier_limit_is_409_with_the_oldest(api):
    first = api.post(URL, {"resume": DOC}, format="json").json()["id"]
    r = api.post(URL, {"resume": DOC}, format="json")
    assert r.status_code == 409
    assert r.json()["error"] == "portfolio_limit" and r.json()["oldest"] == first


def test_the_same_idempotency_key_makes_one_portfolio(api):
    first = api.post(URL, {"resume": DOC}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post(URL, {"resume": DOC}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["manage_url"] is None  # the token is shown once
    assert Portfolio.objects.count() == 1


def test_javascript_and_data_urls_are_dropped(api, client):
    doc = {
        "basics": {
            "name": "Url Person",
            "url": "javascript:alert(1)",
            "profiles": [{"network": "x", "url": "data:text/html,<b>x</b>"}],
        },
        "projects": [{"name": "P", "url": "JaVaScRiPt:alert(1)"}],
    }
    body = api.post(URL, {"resume": doc}, format="json").json()
    page = client.get(f"/p/{body['slug']}/").content.decode().lower()
    assert "javascript:" not in page and "data:text" not in page


def test_an_oversized_document_is_cut_and_the_person_told(settings):
    settings.SNAPSHOT_WARN_BYTES = 2_000
    settings.SNAPSHOT_MAX_BYTES = 4_000
    settings.SNAPSHOT_MAX_ITEMS = 3
    doc = {
        "basics": {"name": "Big"},
        "work": [
            {"name": f"C{i}", "startDate": f"{2000 + i}", "summary": "x" * 200} for i in range(20)
        ],
    }
    out = publishing.publish(
        resume=doc, theme="minimal", client="c", retention_hours=24, active_limit=5
    )
    assert len(out.portfolio.resume["work"]) <= 3
    assert any("20 work entries" in n for n in out.notes)


def test_a_slug_collision_is_retried_not_a_500(monkeypatch):
    names = iter(["same-slug", "same-slug", "other-slug"])
    monkeypatch.setattr(publishing, "make_slug", lambda resume: next(names))
    a = publishing.publish(
        resume=DOC, theme="minimal", client="a", retention_hours=24, active_limit=5
    )
    b = publishing.publish(
        resume=DOC, theme="minimal", client="b", retention_hours=24, active_limit=5
    )
    assert (a.portfolio.slug, b.portfolio.slug) == ("same-slug", "other-slug")


def test_deleting_while_the_sandbox_is_being_built_leaves_nothing(monkeypatch):
    """The portfolio is erased during its build: the build finds it gone and
    removes what it wrote."""
    real_build = sandbox.build

    def build_then_erase(portfolio, files=None):
        path = real_build(portfolio, files)
        Portfolio.objects.filter(pk=portfolio.pk).delete()  # erased meanwhile
        return path

    monkeypatch.setattr(sandbox, "build", build_then_erase)
    out = publishing.publish(
        resume=DOC, theme="minimal", client="c", retention_hours=24, active_limit=5
    )
    assert not Portfolio.objects.exists()
    assert not out.portfolio.sandbox_path.exists()
    assert not PortfolioRequest.objects.exists()


def test_the_api_tells_what_was_cut_to_fit(api, settings):
    settings.SNAPSHOT_WARN_BYTES = 2_000
    settings.SNAPSHOT_MAX_BYTES = 4_000
    settings.SNAPSHOT_MAX_ITEMS = 3
    doc = {
        "basics": {"name": "Big"},
        "work": [
            {"name": f"C{i}", "startDate": f"{2000 + i}", "summary": "x" * 200} for i in range(20)
        ],
    }
    body = api.post(URL, {"resume": doc}, format="json").json()
    assert any("20 work entries" in n for n in body["notices"])
