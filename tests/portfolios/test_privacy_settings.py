"""Where the person makes the privacy choices (issue 15 point 5): at publish
time (the publish page, POST /api/v1/portfolios), on the manage page, and with
PATCH /api/v1/portfolios/{id}, documented in the schema. Bad passphrases are
refused in words, with nothing changed."""

from __future__ import annotations

import pytest

from portfolios.models import Portfolio
from tests.helpers import finished_job, publish_form

pytestmark = pytest.mark.django_db

URL = "/api/v1/portfolios"
DOC = {
    "basics": {
        "name": "Api Person",
        "email": "api.hidden@example.com",
        "phone": "+1 555 0100",
        "location": {"city": "Springfield", "address": "1 Main St"},
    }
}


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page_of(p: Portfolio) -> str:
    return (p.sandbox_path / "index.html").read_text()


# ------------------------------------------------------------------ the API


def test_publish_with_choices_and_read_them_back(api):
    r = api.post(
        URL,
        {
            "resume": DOC,
            "privacy": {"show_email": False, "show_address": True, "passphrase": "open sesame"},
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    privacy = r.json()["privacy"]
    assert privacy == {
        "show_email": False,
        "show_phone": True,
        "show_city": True,
        "show_address": True,
        "show_references": False,  # third-party data: off unless ticked
        "allow_indexing": False,  # anonymous: noindex by default
        "has_passphrase": True,
    }
    assert "passphrase" not in privacy
    p = Portfolio.objects.get(pk=r.json()["id"])
    assert "api.hidden@example.com" not in page_of(p) and "1 Main St" in page_of(p)
    assert "open sesame" not in str(Portfolio.objects.filter(pk=p.pk).values().get())


def test_patch_changes_only_what_it_names_and_rebuilds(api):
    body = api.post(URL, {"resume": DOC, "privacy": {"passphrase": "open sesame"}}, format="json")
    pid, token = body.json()["id"], body.json()["manage_token"]
    api.credentials(HTTP_X_MANAGE_TOKEN=token)
    r = api.patch(
        f"{URL}/{pid}", {"privacy": {"show_phone": False, "allow_indexing": True}}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert r.json()["privacy"]["show_phone"] is False
    assert r.json()["privacy"]["allow_indexing"] is True
    assert r.json()["privacy"]["has_passphrase"] is True  # left out: kept
    p = Portfolio.objects.get(pk=pid)
    assert "+1 555 0100" not in page_of(p) and 'name="robots"' not in page_of(p)
    r = api.patch(f"{URL}/{pid}", {"privacy": {"passphrase": None}}, format="json")
    assert r.json()["privacy"]["has_passphrase"] is False


@pytest.mark.parametrize(
    "passphrase, words",
    [("", "Enter a passphrase"), ("abc", "at least 6"), ("x" * 129, "at most 128")],
)
def test_a_bad_passphrase_is_a_400_that_says_why_and_changes_nothing(api, passphrase, words):
    r = api.post(URL, {"resume": DOC, "privacy": {"passphrase": passphrase}}, format="json")
    assert r.status_code == 400 and r.json()["error"] == "invalid_passphrase"
    assert words in r.json()["message"]
    assert not Portfolio.objects.exists()
    body = api.post(URL, {"resume": DOC}, format="json").json()
    api.credentials(HTTP_X_MANAGE_TOKEN=body["manage_token"])
    r = api.patch(
        f"{URL}/{body['id']}",
        {"privacy": {"show_email": False, "passphrase": passphrase}},
        format="json",
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_passphrase" and words in r.json()["message"]
    p = Portfolio.objects.get(pk=body["id"])
    assert p.show_email is True and p.passphrase_hash == ""


def test_the_schema_documents_the_choices(api):
    schema = api.get("/api/schema/")
    text = schema.content.decode()
    assert schema.status_code == 200
    for word in ("show_address", "allow_indexing", "has_passphrase", "Privacy"):
        assert word in text, word


# ------------------------------------------------------------------ the pages


def test_the_publish_page_offers_the_choices_and_applies_them(client):
    job = finished_job(client, "Jane Example\njane.hidden@example.com\n+44 20 7946 0000\n")
    page = client.get(f"/jobs/{job.pk}/publish").content.decode()
    assert 'name="show_email"' in page and 'name="passphrase"' in page
    r = publish_form(client, job, privacy_shown="1", show_phone="on", show_city="on")
    assert r.status_code == 303, r.content.decode()[:2000]
    p = Portfolio.objects.get()
    assert (p.show_email, p.show_phone, p.allow_indexing) == (False, True, False)
    assert "jane.hidden@example.com" not in page_of(p)


def test_a_publish_form_without_the_choices_keeps_the_defaults(client):
    job = finished_job(client, "Jane Example\njane@example.com\n")
    assert publish_form(client, job).status_code == 303
    p = Portfolio.objects.get()
    assert (p.show_email, p.show_phone, p.show_city, p.show_address) == (True, True, True, False)


def test_a_too_short_passphrase_on_the_publish_page_is_a_form_error(client):
    job = finished_job(client, "Jane Example\njane@example.com\n")
    r = publish_form(client, job, privacy_shown="1", passphrase="abc")
    assert r.status_code == 400
    assert "A passphrase has at least 6 characters." in r.content.decode()
    assert not Portfolio.objects.exists()


def manage(client):
    job = finished_job(client, "Jane Example\njane.hidden@example.com\n")
    assert publish_form(client, job).status_code == 303
    p = Portfolio.objects.get()
    return p, f"/p/{p.slug}/manage/"


def test_the_manage_page_changes_the_choices(client):
    p, url = manage(client)
    page = client.get(url).content.decode()
    assert "Privacy" in page and 'name="passphrase_action"' in page
    r = client.post(
        url + "privacy",
        {"show_phone": "on", "passphrase_action": "set", "passphrase": "a good one"},
    )
    assert r.status_code == 303
    p.refresh_from_db()
    assert p.show_email is False and p.passphrase_hash
    assert "jane.hidden@example.com" not in page_of(p)
    # Someone else's browser meets the gate.
    other = client.__class__()
    assert other.get(f"/p/{p.slug}/").status_code == 403
    r = client.post(url + "privacy", {"show_email": "on", "passphrase_action": "remove"})
    p.refresh_from_db()
    assert p.show_email is True and p.passphrase_hash == ""
    assert other.get(f"/p/{p.slug}/").status_code == 200


@pytest.mark.parametrize(
    "passphrase, words",
    [("", "Enter a passphrase"), ("x" * 500, "A passphrase has at most 128 characters.")],
)
def test_an_empty_or_over_long_passphrase_is_a_form_error_and_nothing_changes(
    client, passphrase, words
):
    p, url = manage(client)
    r = client.post(url + "privacy", {"passphrase_action": "set", "passphrase": passphrase})
    assert r.status_code == 400
    assert words in r.content.decode()
    p.refresh_from_db()
    assert p.show_email is True and p.passphrase_hash == ""
