"""`/metrics` (SPEC M-5): Prometheus' text format with every M-2 metric, for
allow-listed addresses or a bearer token only."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from extraction.models import Document, ExtractionJob, JobState
from monitoring.models import Alert
from monitoring.prometheus import GAUGES
from portfolios.models import Portfolio, State

pytestmark = pytest.mark.django_db

FOREIGN = "203.0.113.9"

# Every M-2 metric and the name it is scraped under.
M2 = {
    "active_portfolios": "cv2web_active_portfolios",
    "total_created": "cv2web_portfolios_on_record",
    "total_cleaned": "cv2web_portfolios_cleaned_on_record",
    "average_lifetime_hours": "cv2web_portfolio_average_lifetime_seconds",
    "extraction_success_rate": "cv2web_extraction_success_ratio",
    "average_processing_seconds": "cv2web_extraction_average_duration_seconds",
    "queue_depth": "cv2web_extraction_queue_depth",
    "cache_hit_rate": "cv2web_extraction_cache_hit_ratio",
    "memory_percent": "cv2web_memory_usage_ratio",
    "cpu_percent": "cv2web_cpu_usage_ratio",
    "disk_percent": "cv2web_disk_usage_ratio",
    "model_quota_percent": "cv2web_model_quota_remaining_ratio",
}


def families(response) -> dict:
    text = response.content.decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def value(fams: dict, name: str) -> float:
    (sample,) = fams[name].samples
    return sample.value


@pytest.fixture
def some_activity():
    now = timezone.now()
    start = now - timedelta(days=2)
    for state, archived in ((State.ACTIVE, None), (State.ARCHIVED, start + timedelta(hours=6))):
        Portfolio.objects.create(
            slug=f"p-{uuid.uuid4().hex[:10]}",
            retention_hours=24,
            resume={},
            theme="minimal",
            state=state,
            manage_token_hash="x",
            warn_at=now,
            published_at=start,
            archived_at=archived,
        )
    doc = Document.objects.create(sha256="a" * 64, kind="txt", size=1, storage_name="a.txt")
    common = {"document": doc, "extractor": "claude", "fingerprint": "f", "cache_key": "k"}
    ExtractionJob.objects.create(
        **common,
        state=JobState.SUCCEEDED,
        finished_at=now,
        duration_ms=2500,
        ratelimit={
            "anthropic-ratelimit-requests-remaining": "40",
            "anthropic-ratelimit-requests-limit": "50",
        },
    )
    ExtractionJob.objects.create(**common, state=JobState.FAILED, finished_at=now)
    ExtractionJob.objects.create(**common, state=JobState.QUEUED)


def test_the_scrape_parses_and_carries_every_m2_metric(client, some_activity):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE_LATEST
    assert response["Cache-Control"] == "no-store"
    fams = families(response)
    assert set(M2.values()) <= set(fams)
    assert {name for name, _, _ in GAUGES.values()} == set(M2.values())
    for name in M2.values():
        assert fams[name].type == "gauge" and fams[name].documentation, name

    assert value(fams, "cv2web_active_portfolios") == 1
    assert value(fams, "cv2web_portfolios_on_record") == 2
    assert value(fams, "cv2web_portfolios_cleaned_on_record") == 1
    assert value(fams, "cv2web_portfolio_average_lifetime_seconds") == 6 * 3600
    assert value(fams, "cv2web_extraction_success_ratio") == 0.5
    assert value(fams, "cv2web_extraction_average_duration_seconds") == 2.5
    assert value(fams, "cv2web_extraction_queue_depth") == 1
    assert value(fams, "cv2web_extraction_cache_hit_ratio") == 0.0
    assert value(fams, "cv2web_model_quota_remaining_ratio") == pytest.approx(0.8)
    for name in ("cv2web_memory_usage_ratio", "cv2web_cpu_usage_ratio", "cv2web_disk_usage_ratio"):
        assert 0 <= value(fams, name) <= 1, name


def test_unknown_figures_are_present_as_nan(client):
    fams = families(client.get("/metrics"))
    assert set(M2.values()) <= set(fams)
    assert math.isnan(value(fams, "cv2web_extraction_success_ratio"))
    assert math.isnan(value(fams, "cv2web_model_quota_remaining_ratio"))
    assert value(fams, "cv2web_extraction_queue_depth") == 0


def test_open_alerts_are_counted_by_key(client):
    Alert.objects.create(key="memory", message="m")
    Alert.objects.create(key="capacity", message="c")
    Alert.objects.create(key="capacity", message="old", resolved_at=timezone.now())
    fams = families(client.get("/metrics"))
    assert value(fams, "cv2web_alerts_open") == 2
    by_key = {s.labels["key"]: s.value for s in fams["cv2web_alerts_open_by_key"].samples}
    assert by_key == {"capacity": 1, "memory": 1}


def test_a_foreign_address_without_a_token_is_refused(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR=FOREIGN)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain")
    assert b"cv2web_" not in response.content
    assert response["Cache-Control"] == "no-store"


def test_the_right_token_lets_a_foreign_address_in(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    response = client.get(
        "/metrics", REMOTE_ADDR=FOREIGN, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token"
    )
    assert response.status_code == 200
    assert "cv2web_active_portfolios" in families(response)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong-token", "Bearer s3cret-scrape-tokenX", "Token s3cret-scrape-token", "Bearer "],
)
def test_a_wrong_token_is_refused(client, settings, authorization):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    response = client.get("/metrics", REMOTE_ADDR=FOREIGN, HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 403


def test_an_empty_bearer_does_not_match_when_no_token_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR=FOREIGN, HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


def test_allowed_addresses_may_be_networks(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "203.0.113.0/24"]
    assert client.get("/metrics", REMOTE_ADDR=FOREIGN).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="198.51.100.7").status_code == 403


def test_a_forged_forwarded_for_header_does_not_pass_the_allow_list(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    response = client.get("/metrics", REMOTE_ADDR=FOREIGN, HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 403


def test_only_reads_are_answered(client):
    assert client.post("/metrics").status_code == 405
