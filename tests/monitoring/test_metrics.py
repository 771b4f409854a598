"""The M-2 snapshot: each ResourceMetrics figure from the database and the
machine, sampled into the history table (SPEC M-2)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from extraction.models import Document, ExtractionJob, JobState
from monitoring import metrics
from monitoring.models import MetricSample
from portfolios.models import Portfolio, State

pytestmark = pytest.mark.django_db

EVERY_FIELD = {f.name for f in MetricSample._meta.fields} - {"id", "taken_at"}


def portfolio(state: str, *, published_at=None, archived_at=None, created_at=None) -> Portfolio:
    now = timezone.now()
    return Portfolio.objects.create(
        slug=f"p-{uuid.uuid4().hex[:10]}",
        retention_hours=24,
        resume={"basics": {"name": "P"}},
        theme="minimal",
        state=state,
        manage_token_hash="x",
        warn_at=now + timedelta(hours=24),
        created_at=created_at or now,
        published_at=published_at,
        archived_at=archived_at,
    )


@pytest.fixture
def document():
    return Document.objects.create(
        sha256=uuid.uuid4().hex * 2, kind="txt", size=1, storage_name=f"{uuid.uuid4().hex}.txt"
    )


@pytest.fixture
def job(document):
    def make(state=JobState.SUCCEEDED, *, finished_at=None, **fields) -> ExtractionJob:
        if state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED):
            finished_at = finished_at or timezone.now()
        return ExtractionJob.objects.create(
            document=document,
            extractor="local",
            fingerprint="f",
            cache_key="k",
            state=state,
            finished_at=finished_at,
            **fields,
        )

    return make


def test_the_snapshot_has_exactly_the_fields_of_a_sample():
    snap = metrics.snapshot()
    assert set(snap) == EVERY_FIELD == set(metrics.FIELDS)


def test_an_empty_system_reports_zeros_and_unknown_rates():
    snap = metrics.snapshot()
    assert snap["active_portfolios"] == snap["total_created"] == snap["total_cleaned"] == 0
    assert snap["queue_depth"] == 0
    for unknown in (
        "average_lifetime_hours",
        "extraction_success_rate",
        "average_processing_seconds",
        "cache_hit_rate",
        "model_quota_percent",
    ):
        assert snap[unknown] is None, unknown


def test_portfolios_are_counted_by_what_holds_a_sandbox_and_what_was_cleaned():
    start = timezone.now() - timedelta(days=3)
    for state in (State.CREATING, State.ACTIVE, State.IDLE, State.WARNING):
        portfolio(state, published_at=start)
    portfolio(State.CLEANUP, published_at=start)  # sandbox being removed: no longer counted
    portfolio(State.ARCHIVED, published_at=start, archived_at=start + timedelta(hours=10))
    portfolio(State.ARCHIVED, published_at=start, archived_at=start + timedelta(hours=20))
    # A build that never went live: its life counts from creation.
    portfolio(State.ARCHIVED, created_at=start, archived_at=start + timedelta(hours=3))
    # Cleaned up once, then restored by its owner: active and cleaned.
    portfolio(State.ACTIVE, published_at=start, archived_at=start + timedelta(hours=1))

    snap = metrics.snapshot()

    assert snap["active_portfolios"] == 5
    assert snap["total_created"] == 9
    assert snap["total_cleaned"] == 4
    assert snap["average_lifetime_hours"] == pytest.approx((10 + 20 + 3) / 3, abs=0.01)


def test_the_average_lifetime_is_that_of_the_portfolios_cleaned_up_last(monkeypatch):
    monkeypatch.setattr(metrics, "RECENT_LIFETIMES", 2)
    start = timezone.now() - timedelta(days=10)
    for day, hours in ((1, 10), (2, 4), (3, 8)):
        published = start + timedelta(days=day)
        portfolio(
            State.ARCHIVED, published_at=published, archived_at=published + timedelta(hours=hours)
        )
    assert metrics.snapshot()["average_lifetime_hours"] == 6.0


def test_success_and_cache_rates_cover_the_finished_extractions_of_the_last_day(job):
    now = timezone.now()
    job(JobState.SUCCEEDED, duration_ms=1000)
    job(JobState.SUCCEEDED, duration_ms=3000)
    job(JobState.SUCCEEDED, cached=True)
    job(JobState.FAILED)
    job(JobState.CANCELLED)  # neither a success nor a failure
    job(JobState.FAILED, finished_at=now - timedelta(hours=25))  # outside the window

    snap = metrics.snapshot(now)

    assert snap["extraction_success_rate"] == 0.75
    assert snap["cache_hit_rate"] == 0.25
    # Only extractions that really ran: the cached one took no time.
    assert snap["average_processing_seconds"] == 2.0


def test_the_rate_window_moves_with_time(job):
    job(JobState.FAILED)
    assert metrics.snapshot()["extraction_success_rate"] == 0.0
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1), tick=False):
        assert metrics.snapshot()["extraction_success_rate"] is None


def test_processing_time_averages_the_last_twenty_real_runs(job):
    now = timezone.now()
    for i in range(5):
        job(duration_ms=100_000, finished_at=now - timedelta(hours=1, minutes=i))
    for i in range(20):
        job(duration_ms=4_000, finished_at=now - timedelta(minutes=i))
    assert metrics.snapshot(now)["average_processing_seconds"] == 4.0


def test_queue_depth_counts_waiting_jobs_but_not_the_ones_following_another(job):
    leader = job(JobState.QUEUED)
    job(JobState.QUEUED)
    job(JobState.QUEUED, joined_to=leader)
    job(JobState.RUNNING)
    assert metrics.snapshot()["queue_depth"] == 2


def test_model_quota_comes_from_the_last_recorded_rate_limit_headers(job):
    now = timezone.now()
    job(
        finished_at=now - timedelta(minutes=5),
        ratelimit={
            "anthropic-ratelimit-requests-remaining": "900",
            "anthropic-ratelimit-requests-limit": "1000",
        },
    )
    job(
        finished_at=now,
        ratelimit={
            "anthropic-ratelimit-requests-remaining": "150",
            "anthropic-ratelimit-requests-limit": "1000",
        },
    )
    assert metrics.snapshot(now)["model_quota_percent"] == 15.0


def test_machine_figures_are_percentages():
    snap = metrics.snapshot()
    for key in ("memory_percent", "cpu_percent", "disk_percent"):
        assert 0 <= snap[key] <= 100, key


def test_cpu_does_not_wait_and_is_honest_on_the_first_reading(monkeypatch):
    clock = iter([1000.0, 1000.2, 1005.0])
    calls = []
    monkeypatch.setattr(metrics, "_cpu_read_at", None)
    monkeypatch.setattr(metrics, "monotonic", lambda: next(clock))
    monkeypatch.setattr(metrics.psutil, "getloadavg", lambda: (2.0, 1.0, 1.0))
    monkeypatch.setattr(metrics.psutil, "cpu_count", lambda: 4)

    def cpu_percent(interval):
        assert interval is None  # never blocks the request
        calls.append(interval)
        return 37.5

    monkeypatch.setattr(metrics.psutil, "cpu_percent", cpu_percent)
    assert metrics.cpu_percent() == 50.0  # psutil would say 0.0 here: load per core
    assert metrics.cpu_percent() == 50.0  # 0.2 s later: too short a window, same value
    assert metrics.cpu_percent() == 37.5  # psutil's use over the last 5 s
    assert len(calls) == 2


def test_the_snapshot_takes_the_same_few_queries_for_many_rows(job, django_assert_num_queries):
    for state in (State.ACTIVE, State.ARCHIVED):
        portfolio(state, published_at=timezone.now())
    job(JobState.QUEUED)
    job(duration_ms=10)
    with django_assert_num_queries(7):
        metrics.snapshot()
    for _ in range(10):
        portfolio(State.ACTIVE)
        job(duration_ms=10)
        job(JobState.QUEUED)
    with django_assert_num_queries(7):
        metrics.snapshot()


def test_a_sample_writes_one_row_with_the_snapshot(job):
    job(duration_ms=1500)
    now = timezone.now()
    stats = metrics.sample(now=now)
    assert stats["written"] == 1
    row = MetricSample.objects.get()
    assert row.taken_at == now
    for field in EVERY_FIELD:
        assert getattr(row, field) == stats[field], field


def test_a_dry_run_sample_writes_nothing_but_reports_the_figures():
    stats = metrics.sample(dry_run=True)
    assert stats["written"] == 0 and set(stats) == EVERY_FIELD | {"written"}
    assert not MetricSample.objects.exists()


def test_history_lists_the_samples_since_a_moment_oldest_first():
    now = timezone.now()
    for hours in (30, 3, 1, 2):
        metrics.sample(now=now - timedelta(hours=hours))
    taken = [s.taken_at for s in metrics.history(now - timedelta(hours=24))]
    assert taken == [now - timedelta(hours=h) for h in (3, 2, 1)]
