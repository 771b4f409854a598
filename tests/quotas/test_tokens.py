"""API tokens: created on the account page, shown once, used by the API, revoked."""

from __future__ import annotations

import re

import pytest

from monitoring.models import AuditLog
from quotas.models import ApiToken

pytestmark = pytest.mark.django_db

HOME = "/accounts/"
CREATE = "/accounts/tokens/"
API = "/api/v1/extractions"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def create_token(client, name="laptop script") -> str:
    r = client.post(CREATE, {"name": name})
    assert r.status_code == 200
    match = re.search(r'value="(cv2w_[^"]+)"', r.content.decode())
    assert match
    return match.group(1)


def test_a_new_token_key_is_shown_once_and_never_again(client, alice):
    client.force_login(alice)

    r = client.post(CREATE, {"name": "laptop script"})

    text = r.content.decode()
    assert "Copy the key now" in text and "only time it is shown" in text
    assert "no-store" in r["Cache-Control"]
    key = re.search(r'value="(cv2w_[^"]+)"', text).group(1)
    token = ApiToken.objects.get(user=alice)
    assert token.name == "laptop script" and key.startswith(token.key_prefix)
    assert key not in token.key_hash

    listing = client.get(HOME).content.decode()
    assert "laptop script" in listing and token.key_prefix in listing
    assert key not in listing
    entry = AuditLog.objects.get(action="token.created")
    assert entry.category == "security" and entry.actor == alice
    assert entry.object_id == str(token.pk) and key not in str(entry.details)


def test_a_token_needs_a_name(client, alice):
    client.force_login(alice)
    r = client.post(CREATE, {"name": ""})
    assert r.status_code == 400 and "This field is required" in r.content.decode()
    assert not ApiToken.objects.exists()


def test_the_key_authenticates_an_api_call(client, api, alice):
    client.force_login(alice)
    key = create_token(client)

    r = api.get(API, HTTP_AUTHORIZATION=f"Token {key}")

    assert r.status_code == 200 and r.json()["count"] == 0
    assert ApiToken.objects.get(user=alice).last_used_at is not None


def test_a_revoked_key_is_refused_with_401_json(client, api, alice):
    client.force_login(alice)
    key = create_token(client)
    token = ApiToken.objects.get(user=alice)

    confirm = client.get(f"/accounts/tokens/{token.pk}/revoke/")
    assert confirm.status_code == 200 and "Revoke the token" in confirm.content.decode()
    assert ApiToken.objects.active().filter(pk=token.pk).exists()  # GET changes nothing

    r = client.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    assert "is revoked" in r.content.decode()
    assert "laptop script" not in r.content.decode().split("API tokens")[1].split("Create")[0]

    r = api.get(API, HTTP_AUTHORIZATION=f"Token {key}")
    assert r.status_code == 401
    assert r.json()["error"] == "authentication_failed" and "message" in r.json()
    assert AuditLog.objects.filter(
        action="token.revoked", category="security", object_id=str(token.pk)
    ).exists()


def test_an_unknown_key_is_refused_with_401_json(api):
    r = api.get(API, HTTP_AUTHORIZATION="Token cv2w_not-a-key-we-ever-issued")
    assert r.status_code == 401 and r.json()["error"] == "authentication_failed"


def test_another_user_cannot_revoke_my_token(client, alice, django_user_model):
    token, key = ApiToken.issue(alice, "mine")
    bob = django_user_model.objects.create_user("bob", "bob@example.com", "pw-bob-123")
    client.force_login(bob)

    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.find(key) is not None
    assert "mine" not in client.get(HOME).content.decode()


def test_token_pages_need_a_login(client, alice):
    token, _ = ApiToken.issue(alice, "mine")
    assert client.post(CREATE, {"name": "x"})["Location"].startswith("/accounts/login/")
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    assert ApiToken.objects.active().count() == 1
    assert client.get(CREATE).status_code == 302


def test_html_in_a_token_name_is_escaped(client, alice):
    client.force_login(alice)
    created = client.post(CREATE, {"name": "<script>alert(1)</script>"}).content.decode()
    listing = client.get(HOME).content.decode()
    token = ApiToken.objects.get(user=alice)
    confirm = client.get(f"/accounts/tokens/{token.pk}/revoke/").content.decode()
    for text in (created, listing, confirm):
        assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text
