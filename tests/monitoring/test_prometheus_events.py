"""`/metrics` as operators expect (issue 16, point 3), in one process: counters
of events with `_total`, histograms of request and extraction durations,
process and Python metrics, build info, and no `_created` series.

Counters live for the whole test process, so each test reads them before and
after (deltas), as rate() does."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from extraction import queue
from extraction.models import Document, ExtractionJob, JobState
from portfolios import lifecycle
from portfolios.models import Portfolio, State

pytestmark = pytest.mark.django_db


def scrape(client) -> dict[str, object]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {f.name: f for f in text_string_to_metric_families(response.content.decode())}


def sample(fams, family: str, name: str, **labels) -> float:
    """The value of sample `name` with exactly `labels` (0 when absent)."""
    fam = fams.get(family)
    for s in fam.samples if fam else ():
        if s.name == name and s.labels == labels:
            return s.value
    return 0.0


def requests(fams, route: str, status: str = "2xx", method: str = "GET") -> float:
    return sample(
        fams,
        "cv2web_http_requests",
        "cv2web_http_requests_total",
        route=route,
        method=method,
        status=status,
    )


def test_requests_are_counted_and_timed_by_route_name_and_status_class(client):
    before = scrape(client)
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
    assert client.get("/no-such-page-" + uuid.uuid4().hex).status_code == 404
    after = scrape(client)

    assert requests(after, "healthz") - requests(before, "healthz") == 5
    # The raw path never becomes a label: an unknown path is `unmatched`.
    assert requests(after, "unmatched", "4xx") - requests(before, "unmatched", "4xx") == 1
    hist = "cv2web_http_request_duration_seconds"
    count = sample(after, hist, hist + "_count", route="healthz", status="2xx")
    assert count - sample(before, hist, hist + "_count", route="healthz", status="2xx") == 5
    inf = sample(after, hist, hist + "_bucket", route="healthz", status="2xx", le="+Inf")
    assert inf == count
    assert after[hist].type == "histogram"
    routes = {s.labels["route"] for s in after["cv2web_http_requests"].samples}
    assert not any(r.startswith("/") for r in routes), routes


def test_event_families_are_counters_with_total_and_none_is_created(client):
    response = client.get("/metrics")
    text = response.content.decode()
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    for name in (
        "cv2web_http_requests",
        "cv2web_extractions",
        "cv2web_extraction_cache_hits",
        "cv2web_portfolio_creations",
        "cv2web_portfolio_cleanups",
        "cv2web_ratelimit_refusals",
        "cv2web_upload_refusals",
    ):
        assert fams[name].type == "counter", name
        assert f"# TYPE {name}_total counter" in text or f"# TYPE {name} counter" in text
    assert fams["cv2web_extraction_duration_seconds"].type == "histogram"
    # OpenMetrics reserves `_created`; the old gauges' names are gone too.
    assert "_created" not in text
    assert "cv2web_alert_open " not in text and "cv2web_alert_open{" not in text


def test_build_info_process_and_python_metrics(client, settings):
    fams = scrape(client)
    (info,) = fams["cv2web_build_info"].samples
    assert info.value == 1
    assert info.labels["version"] == settings.SPECTACULAR_SETTINGS["VERSION"]
    assert {"python", "django"} <= set(info.labels)
    assert "process_resident_memory_bytes" in fams
    assert "process_cpu_seconds" in fams
    assert "python_info" in fams


def _job(**fields) -> ExtractionJob:
    doc = Document.objects.create(
        sha256=uuid.uuid4().hex * 2, kind="txt", size=1, storage_name=f"{uuid.uuid4().hex}.txt"
    )
    return ExtractionJob.objects.create(
        document=doc,
        extractor="claude",
        fingerprint="f",
        cache_key=uuid.uuid4().hex,
        state=JobState.RUNNING,
        started_at=timezone.now(),
        **fields,
    )


def test_extractions_count_by_outcome_and_time_by_extractor(
    client, django_capture_on_commit_callbacks
):
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        assert queue.succeed(
            _job(), result={}, warnings=[], extractor_used="claude", duration_ms=2500
        )
        assert queue.succeed(_job(), result={}, warnings=[], extractor_used="local", cached=True)
        assert queue.fail(_job(), "unreadable", "no", user_fault=True)
    after = scrape(client)

    def delta(family, name, **labels):
        return sample(after, family, name, **labels) - sample(before, family, name, **labels)

    ex = ("cv2web_extractions", "cv2web_extractions_total")
    assert delta(*ex, extractor="claude", outcome="succeeded") == 1
    assert delta(*ex, extractor="local", outcome="cached") == 1
    assert delta(*ex, extractor="claude", outcome="failed") == 1
    hits = ("cv2web_extraction_cache_hits", "cv2web_extraction_cache_hits_total")
    assert delta(*hits, where="worker") == 1
    dur = "cv2web_extraction_duration_seconds"
    # Only the run that really ran is timed, under the extractor that answered.
    assert delta(dur, dur + "_count", extractor="claude") == 1
    assert delta(dur, dur + "_sum", extractor="claude") == pytest.approx(2.5)
    assert delta(dur, dur + "_count", extractor="local") == 0


def test_an_event_rolled_back_is_not_counted(client, django_capture_on_commit_callbacks):
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        job = _job()
        with pytest.raises(RuntimeError), transaction.atomic():
            queue.fail(job, "unreadable", "no", user_fault=True)
            raise RuntimeError("rolled back")
    after = scrape(client)
    name = ("cv2web_extractions", "cv2web_extractions_total")
    labels = {"extractor": "claude", "outcome": "failed"}
    assert sample(after, *name, **labels) == sample(before, *name, **labels)


def _portfolio(state: str) -> Portfolio:
    now = timezone.now()
    return Portfolio.objects.create(
        slug=f"p-{uuid.uuid4().hex[:10]}",
        retention_hours=24,
        resume={},
        theme="minimal",
        state=state,
        manage_token_hash="x",
        warn_at=now,
        published_at=now - timedelta(days=2),
    )


def test_cleanups_count_one_by_one_and_in_bulk(client, django_capture_on_commit_callbacks):
    name = ("cv2web_portfolio_cleanups", "cv2web_portfolio_cleanups_total")
    before = sample(scrape(client), *name)
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.transition(_portfolio(State.CLEANUP), State.ARCHIVED)
        ids = [_portfolio(State.CLEANUP).pk for _ in range(3)]
        moved = lifecycle.bulk_transition(
            Portfolio.objects.filter(pk__in=ids),
            State.CLEANUP,
            State.ARCHIVED,
            timezone.now(),
            "test",
        )
        assert moved.count() == 3
    assert sample(scrape(client), *name) - before == 4
