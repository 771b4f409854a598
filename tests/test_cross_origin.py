"""Issue 10, item 8 (SPEC S-5): a hostile page cannot make a visitor's browser
upload, publish, archive or erase through the API.

The attack of the issue: `curl -H 'Origin: https://evil.example' -F x=1
.../archive` answered 200. A page on evil.example can post such a form from
the visitor's browser, which sends the visitor's cookies and address."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from extraction.models import Document, ExtractionJob
from portfolios.models import Portfolio, State

pytestmark = pytest.mark.django_db

EVIL = "https://evil.example"
OURS = "http://testserver"
PORTFOLIOS = "/api/v1/portfolios"
EXTRACTIONS = "/api/v1/extractions"


def cv(name: str = "cv.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"Jane Example\njane@example.com\n")


@pytest.fixture
def visitor() -> APIClient:
    """An anonymous visitor's browser: it keeps the session cookie it gets."""
    return APIClient()


@pytest.fixture
def published(visitor) -> Portfolio:
    """A portfolio the visitor published from this browser (same site, JSON)."""
    r = visitor.post(PORTFOLIOS, {"resume": {"basics": {"name": "Jane"}}}, format="json")
    assert r.status_code == 201, r.content[:300]
    return Portfolio.objects.get(pk=r.json()["id"])


def test_a_multipart_upload_sent_by_another_site_is_refused_and_stores_nothing(visitor):
    r = visitor.post(EXTRACTIONS, {"file": cv()}, format="multipart", HTTP_ORIGIN=EVIL)
    assert r.status_code == 403
    assert r.json()["error"] == "cross_origin" and r.json()["message"]
    assert not Document.objects.exists() and not ExtractionJob.objects.exists()


def test_archive_by_a_form_on_another_site_is_refused_and_changes_nothing(visitor, published):
    r = visitor.post(
        f"{PORTFOLIOS}/{published.pk}/archive", {"x": "1"}, format="multipart", HTTP_ORIGIN=EVIL
    )
    assert r.status_code == 403 and r.json()["error"] == "cross_origin"
    published.refresh_from_db()
    assert published.state != State.ARCHIVED


@pytest.mark.parametrize(
    ("method", "suffix"), [("delete", ""), ("patch", ""), ("post", "/keep-alive")]
)
def test_every_write_from_another_site_is_refused(visitor, published, method, suffix):
    r = getattr(visitor, method)(
        f"{PORTFOLIOS}/{published.pk}{suffix}", {"theme": "classic"}, HTTP_ORIGIN=EVIL
    )
    assert r.status_code == 403 and r.json()["error"] == "cross_origin"
    assert Portfolio.objects.filter(pk=published.pk, theme=published.theme).exists()


def test_without_origin_a_referer_from_another_site_is_refused(visitor):
    r = visitor.post(
        EXTRACTIONS, {"file": cv()}, format="multipart", HTTP_REFERER=f"{EVIL}/page.html"
    )
    assert r.status_code == 403 and r.json()["error"] == "cross_origin"


@pytest.mark.parametrize("origin", ["null", "file://", "https://testserver.evil.example"])
def test_an_opaque_or_lookalike_origin_is_refused(visitor, origin):
    r = visitor.post(EXTRACTIONS, {"file": cv()}, format="multipart", HTTP_ORIGIN=origin)
    assert r.status_code == 403


def test_the_same_request_without_origin_is_accepted(visitor, published):
    # curl and scripts send no Origin; no browser page can make them.
    r = visitor.post(EXTRACTIONS, {"file": cv()}, format="multipart")
    assert r.status_code in (201, 202), r.content[:300]
    r = visitor.post(f"{PORTFOLIOS}/{published.pk}/archive", {"x": "1"}, format="multipart")
    assert r.status_code == 200, r.content[:300]
    published.refresh_from_db()
    assert published.state == State.ARCHIVED


def test_the_same_request_from_this_site_is_accepted(visitor, published):
    r = visitor.post(EXTRACTIONS, {"file": cv()}, format="multipart", HTTP_ORIGIN=OURS)
    assert r.status_code in (201, 202), r.content[:300]
    r = visitor.post(
        f"{PORTFOLIOS}/{published.pk}/archive",
        {"x": "1"},
        format="multipart",
        HTTP_REFERER=f"{OURS}/p/{published.slug}/manage/",
    )
    assert r.status_code == 200, r.content[:300]


def test_a_trusted_origin_is_accepted(visitor, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.cv2web.example"]
    r = visitor.post(
        EXTRACTIONS, {"file": cv()}, format="multipart", HTTP_ORIGIN="https://www.cv2web.example"
    )
    assert r.status_code in (201, 202), r.content[:300]
    r = visitor.post(
        EXTRACTIONS,
        {"file": cv("b.txt")},
        format="multipart",
        HTTP_ORIGIN="http://www.cv2web.example",
    )
    assert r.status_code == 403  # the scheme is part of the origin


def test_a_token_authenticated_request_passes_whatever_its_origin(alice):
    # A page on another site cannot make a browser send this header.
    from quotas.models import ApiToken

    _token, key = ApiToken.issue(alice, "script")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    r = client.post(EXTRACTIONS, {"file": cv()}, format="multipart", HTTP_ORIGIN=EVIL)
    assert r.status_code in (201, 202), r.content[:300]


def test_reads_from_another_site_are_not_refused(visitor):
    assert visitor.get("/api/v1/status", HTTP_ORIGIN=EVIL).status_code == 200


def test_a_logged_in_session_still_needs_the_csrf_token(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    r = client.post(EXTRACTIONS, {"file": cv()}, format="multipart", HTTP_ORIGIN=OURS)
    assert r.status_code == 403 and "CSRF" in r.json()["message"]
