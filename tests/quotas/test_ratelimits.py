"""Burst limits (SPEC Q-2): 429 with Retry-After, JSON on the API, a page for
browsers, and the site still served when the shared cache is down."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from quotas import ratelimits
from tests.extraction import badfiles as bf

pytestmark = pytest.mark.django_db


def cv():
    return SimpleUploadedFile("cv.txt", bf.txt_utf8(f"P {uuid.uuid4().hex}\np@example.com\n"))


def test_api_calls_over_the_hourly_limit_get_429_json_not_403(api, alice, settings, one_window):
    settings.RATELIMIT_API_HOUR = "3/h"
    api.force_authenticate(alice)
    for _ in range(3):
        assert api.get("/api/v1/extractions").status_code == 200
    r = api.get("/api/v1/extractions")
    assert r.status_code == 429
    assert r.json()["error"] == "rate_limited" and r.json()["message"]
    assert 0 < int(r["Retry-After"]) <= 3600


def test_the_batch_endpoint_has_its_own_per_minute_limit(api, settings, one_window):
    settings.RATELIMIT_BATCH = "2/m"
    settings.QUOTA_TIERS = {
        **settings.QUOTA_TIERS,
        "anonymous": {**settings.QUOTA_TIERS["anonymous"], "extractions_per_day": 100},
    }
    for _ in range(2):
        r = api.post("/api/v1/extractions/batch", {"files": [cv()]}, format="multipart")
        assert r.status_code == 202
    r = api.post("/api/v1/extractions/batch", {"files": [cv()]}, format="multipart")
    assert r.status_code == 429 and r.json()["error"] == "rate_limited"
    assert 0 < int(r["Retry-After"]) <= 60


def test_page_uploads_over_the_burst_limit_get_a_page(client, settings, one_window):
    settings.RATELIMIT_UPLOADS = "2/h"
    for _ in range(2):
        assert client.post("/", {"file": cv()}).status_code == 302
    r = client.post("/", {"file": cv()})
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    assert b"Too many uploads in a short time" in r.content


def test_limits_are_per_client(api, settings, one_window):
    settings.RATELIMIT_API_HOUR = "1/h"
    # Reading a job is a cheap read, with a limit of its own (issue 13).
    settings.RATELIMIT_CHEAP_READS = "1/h"
    assert api.get("/api/v1/extractions/00000000-0000-0000-0000-000000000000").status_code == 404
    assert api.get("/api/v1/extractions/00000000-0000-0000-0000-000000000000").status_code == 429
    other = api.get(
        "/api/v1/extractions/00000000-0000-0000-0000-000000000000", REMOTE_ADDR="10.9.9.9"
    )
    assert other.status_code == 404


@pytest.mark.parametrize("location", ["redis://127.0.0.1:1/0"])
def test_an_unreachable_cache_fails_open_with_a_warning_and_a_count(location, caplog):
    before = ratelimits.cache_errors()
    unreachable = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": location,
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
    with override_settings(CACHES={"default": unreachable, "ratelimit": unreachable}):
        api = APIClient()
        r = api.post("/api/v1/extractions", {"file": cv()}, format="multipart")
        assert r.status_code == 202
        page = api.get("/")
        assert page.status_code == 200
    assert ratelimits.cache_errors() > before
    assert "failed open" in caplog.text


def test_log_in_attempts_are_limited_per_client(client, settings, alice, one_window):
    settings.RATELIMIT_LOGIN = "3/m"
    for _ in range(3):
        r = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
        assert r.status_code == 200
    r = client.post("/accounts/login/", {"username": "alice", "password": "pw-alice-123"})
    assert r.status_code == 429 and b"Too many log-in attempts" in r.content


def test_password_reset_requests_are_limited(client, settings, mailoutbox, one_window):
    settings.RATELIMIT_PASSWORD_RESET = "2/h"
    for _ in range(2):
        client.post("/accounts/password/reset/", {"email": "x@example.com"})
    r = client.post("/accounts/password/reset/", {"email": "x@example.com"})
    assert r.status_code == 429


def test_sign_up_refuses_a_weak_password(client):
    r = client.post(
        "/accounts/signup/",
        {
            "username": "weak",
            "email": "w@example.com",
            "password1": "12345678",
            "password2": "12345678",
        },
    )
    assert r.status_code == 400 and b"too common" in r.content
    from django.contrib.auth.models import User

    assert not User.objects.filter(username="weak").exists()
