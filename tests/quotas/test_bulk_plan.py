"""The bulk plan for API consumers (issue 14 point 2; seed 004): 1,000
extractions a day, 100 API requests an hour, 30 batch calls a minute, set by
staff in the admin; the X-Quota-* headers and the account page say so."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from extraction.models import ExtractionJob, Priority
from quotas import policy
from quotas.models import Account, ApiToken, DailyUsage, Tier
from tests.extraction import badfiles as bf
from tests.processes import manage

pytestmark = pytest.mark.django_db

URL = "/api/v1/extractions"


def cv() -> SimpleUploadedFile:
    return SimpleUploadedFile("cv.txt", bf.txt_utf8(f"P {uuid.uuid4().hex}\np@example.com\n"))


@pytest.fixture
def recruiter(django_user_model):
    user = django_user_model.objects.create_user("hr", "hr@example.com", "pw-hr-12345")
    Account.objects.filter(user=user).update(tier=Tier.BULK)
    return django_user_model.objects.get(pk=user.pk)


@pytest.fixture
def bulk_api(recruiter) -> APIClient:
    _, key = ApiToken.issue(recruiter, "ats")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_the_bulk_plan_has_the_seeds_figures_by_default(recruiter, settings):
    assert policy.limits_for(recruiter).extractions_per_day == 1000
    rates = policy.rates_for(recruiter)
    assert (rates.api_hour, rates.api_day, rates.batch) == ("100/h", "1000/d", "30/m")


def test_a_bulk_token_gets_a_thousand_a_day_and_the_headers_say_so(bulk_api, recruiter):
    r = bulk_api.post(URL, {"file": cv()}, format="multipart")
    assert r.status_code == 202
    assert (r["X-Quota-Limit"], r["X-Quota-Remaining"]) == ("1000", "999")
    # The rest of the day's allowance, then the 1,001st is refused.
    DailyUsage.objects.filter(subject=f"user:{recruiter.pk}").update(extractions=999)
    r = bulk_api.post(
        f"{URL}/batch", {"files": [cv()]}, format="multipart", HTTP_X_FORWARDED_FOR="10.0.0.9"
    )
    assert r.status_code == 202 and r["X-Quota-Remaining"] == "0"
    r = bulk_api.post(f"{URL}/batch", {"files": [cv(), cv()]}, format="multipart")
    assert r.status_code == 429 and r.json()["error"] == "quota_exceeded"
    assert DailyUsage.objects.get(subject=f"user:{recruiter.pk}").extractions == 1000
    assert ExtractionJob.objects.filter(owner=recruiter).count() == 2


def test_the_daily_figure_is_a_setting(bulk_api, settings):
    settings.QUOTA_TIERS = {
        **settings.QUOTA_TIERS,
        "bulk": {**settings.QUOTA_TIERS["bulk"], "extractions_per_day": 2},
    }
    r = bulk_api.post(f"{URL}/batch", {"files": [cv(), cv(), cv()]}, format="multipart")
    assert r.status_code == 202 and r["X-Quota-Limit"] == "2"
    assert [(e.get("error") or {}).get("code") for e in r.json()["jobs"]] == [
        None,
        None,
        "quota_exceeded",
    ]


def test_bulk_jobs_queue_with_registered_users_not_ahead_of_them(bulk_api):
    r = bulk_api.post(URL, {"file": cv()}, format="multipart")
    assert ExtractionJob.objects.get(pk=r.json()["id"]).priority == Priority.REGISTERED


def test_the_bulk_plan_has_its_own_hourly_api_rate(bulk_api, alice, settings, one_window):
    settings.RATELIMIT_API_HOUR = "1/h"
    settings.RATELIMIT_BULK_API_HOUR = "3/h"
    for _ in range(3):
        assert bulk_api.get(URL).status_code == 200
    r = bulk_api.get(URL)
    assert r.status_code == 429 and r.json()["error"] == "rate_limited"
    assert 0 < int(r["Retry-After"]) <= 3600
    registered = APIClient()
    registered.force_authenticate(alice)
    assert registered.get(URL).status_code == 200
    assert registered.get(URL).status_code == 429


def test_the_bulk_plan_has_its_own_daily_api_rate(bulk_api, settings):
    settings.RATELIMIT_BULK_API_DAY = "2/d"
    assert bulk_api.get(URL).status_code == 200
    assert bulk_api.get(URL).status_code == 200
    r = bulk_api.get(URL)
    assert r.status_code == 429 and int(r["Retry-After"]) <= 86400


def test_the_bulk_plan_has_its_own_batch_rate(bulk_api, settings, one_window):
    settings.RATELIMIT_BATCH = "1/m"
    settings.RATELIMIT_BULK_BATCH = "2/m"
    for _ in range(2):
        r = bulk_api.post(f"{URL}/batch", {"files": [cv()]}, format="multipart")
        assert r.status_code == 202
    r = bulk_api.post(f"{URL}/batch", {"files": [cv()]}, format="multipart")
    assert r.status_code == 429 and r.json()["error"] == "rate_limited"
    assert 0 < int(r["Retry-After"]) <= 60


def test_the_bulk_plan_has_its_own_single_upload_rate(bulk_api, settings, one_window):
    settings.RATELIMIT_UPLOADS = "1/h"
    settings.RATELIMIT_BULK_UPLOADS = "2/h"
    for _ in range(2):
        assert bulk_api.post(URL, {"file": cv()}, format="multipart").status_code == 202
    r = bulk_api.post(URL, {"file": cv()}, format="multipart")
    assert r.status_code == 429 and r.json()["error"] == "rate_limited"


def test_the_account_page_states_the_bulk_plan(client, recruiter):
    client.force_login(recruiter)
    text = client.get("/accounts/").content.decode()
    assert "Bulk (API)</strong>" in text
    assert "0 of 1000</strong> extractions used today" in text
    assert "<dd>100 an hour, 1,000 a day</dd>" in text
    assert "<dd>30 a minute</dd>" in text and "<dd>100 an hour</dd>" in text
    assert "Bulk plan" in text and "Premium accounts read up to" not in text


def test_a_registered_account_page_shows_its_own_rates(client, alice):
    client.force_login(alice)
    text = client.get("/accounts/").content.decode()
    assert "<dd>30 an hour</dd>" in text and "Bulk plan" not in text


@pytest.mark.parametrize(
    ("rate", "words"),
    [("100/h", "100 an hour"), ("1000/d", "1,000 a day"), ("5/15m", "5 every 15 minutes")],
)
def test_rates_read_in_words(rate, words):
    assert policy.rate_words(rate) == words


@pytest.mark.parametrize(
    ("name", "value"),
    [("RATELIMIT_BULK_API_HOUR", "lots"), ("QUOTA_BULK_EXTRACTIONS_PER_DAY", "-1")],
)
def test_a_bad_plan_setting_refuses_to_start_and_names_itself(tmp_path, name, value):
    result = manage("check", env={"DATA_DIR": str(tmp_path), name: value})
    assert result.returncode != 0 and name in result.stderr
