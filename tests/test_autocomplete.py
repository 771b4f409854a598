"""WCAG 1.3.5 (identify input purpose): every field where a person types their
own name, e-mail address, phone number or web address says so with
`autocomplete`, so browsers and assistive tools can fill it in; fields for
someone else's details say `off` (issue 16 point 4)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.helpers import finished_job

pytestmark = pytest.mark.django_db


class Inputs(HTMLParser):
    """name -> attributes of every input, select and textarea of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag in ("input", "select", "textarea") and found.get("name"):
            self.fields[found["name"]] = found


def autocomplete(client, url: str) -> dict[str, str | None]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = Inputs()
    parser.feed(response.content.decode())
    return {name: attrs.get("autocomplete") for name, attrs in parser.fields.items()}


def test_log_in_and_sign_up(client):
    login = autocomplete(client, "/accounts/login/")
    assert (login["username"], login["password"]) == ("username", "current-password")
    signup = autocomplete(client, "/accounts/signup/")
    assert {k: signup[k] for k in ("username", "email", "password1", "password2")} == {
        "username": "username",
        "email": "email",
        "password1": "new-password",
        "password2": "new-password",
    }


def test_password_reset_and_change(client, alice):
    assert autocomplete(client, "/accounts/password/reset/")["email"] == "email"
    client.force_login(alice)
    change = autocomplete(client, "/accounts/password/change/")
    assert change["old_password"] == "current-password"
    assert change["new_password1"] == change["new_password2"] == "new-password"


def test_the_review_form_s_basics_and_the_publish_form(client):
    job = finished_job(client)
    review = autocomplete(client, f"/jobs/{job.pk}/review")
    assert {k: review[f"basics-{k}"] for k in ("name", "email", "phone", "url")} == {
        "name": "name",
        "email": "email",
        "phone": "tel",
        "url": "url",
    }
    assert review["basics-label"] == "organization-title"
    assert review["basics-city"] == "address-level2"
    assert review["basics-countryCode"] == "country"
    assert autocomplete(client, f"/jobs/{job.pk}/publish")["email"] == "email"


def test_someone_else_s_details_are_not_filled_with_the_person_s_own():
    from portfolios.editing.forms import ProfileForm, ReferenceForm

    # A referee's name; the person's user name on another network.
    assert 'autocomplete="off"' in str(ReferenceForm(prefix="references-0")["name"])
    assert 'autocomplete="off"' in str(ProfileForm(prefix="profiles-0")["username"])
