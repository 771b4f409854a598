"""The queue of record: order, limits, claims, retries, watchdog, joins."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from extraction import queue
from extraction.models import CacheEntry, ExtractionJob, JobState, Priority
from tests.helpers import enqueue

pytestmark = pytest.mark.django_db


def test_jobs_run_in_priority_then_arrival_order():
    new = enqueue(priority=Priority.NEW)
    background = enqueue(priority=Priority.BACKGROUND)
    premium = enqueue(priority=Priority.PREMIUM)
    returning = enqueue(priority=Priority.RETURNING)
    claimed = [queue.claim_next("w").pk for _ in range(4)]
    assert claimed == [premium.pk, returning.pk, new.pk, background.pk]


def test_position_and_eta_follow_queue_order(settings):
    settings.EXTRACTION_MAX_CONCURRENT = 2
    jobs = [enqueue() for _ in range(5)]
    places = [queue.place_of(j, typical=10) for j in jobs]
    assert [p.position for p in places] == [1, 2, 3, 4, 5]
    # Two run at once: positions 1-2 wait one typical duration, 3-4 two, 5 three.
    assert [p.eta_seconds for p in places] == [10, 10, 20, 20, 30]


def test_eta_comes_from_recent_real_durations():
    for ms in (4000, 6000, 8000):
        job = enqueue()
        ExtractionJob.objects.filter(pk=job.pk).update(
            state=JobState.SUCCEEDED, duration_ms=ms, finished_at=timezone.now()
        )
    assert queue.typical_duration() == 6.0


def test_no_more_than_max_concurrent_are_claimed(settings):
    settings.EXTRACTION_MAX_CONCURRENT = 2
    for _ in range(4):
        enqueue()
    assert queue.claim_next("w") and queue.claim_next("w")
    assert queue.claim_next("w") is None
    assert ExtractionJob.objects.running().count() == 2


def test_queue_depth_limit_refuses_with_retry_after(settings):
    settings.EXTRACTION_MAX_QUEUE_DEPTH = 2
    enqueue()
    enqueue()
    with pytest.raises(queue.QueueFull) as err:
        enqueue()
    assert err.value.retry_after >= 1
    assert ExtractionJob.objects.count() == 2


def test_the_queue_is_full_when_max_depth_jobs_wait_and_not_before(settings):
    settings.EXTRACTION_MAX_QUEUE_DEPTH = 2
    enqueue()
    assert not queue.is_full()
    running = enqueue()
    ExtractionJob.objects.filter(pk=running.pk).update(state=JobState.RUNNING)
    assert not queue.is_full()  # a running job holds no waiting place
    enqueue()
    assert queue.is_full()
    # A count the caller has already made is taken as it is.
    assert not queue.is_full(waiting=1)
    assert queue.is_full(waiting=2)


def test_a_cache_hit_finishes_at_once_and_does_not_queue(settings):
    settings.EXTRACTION_MAX_QUEUE_DEPTH = 0  # even a full queue does not refuse a hit
    CacheEntry.store(
        sha256="c" * 64,
        fingerprint="fp",
        extractor="local",
        model="",
        result={"basics": {"name": "Ada"}},
        warnings=[],
        size_bytes=10,
    )
    job = enqueue(sha="c" * 64)
    assert job.state == JobState.SUCCEEDED and job.cached
    assert job.result == {"basics": {"name": "Ada"}}
    assert CacheEntry.objects.get().hits == 1


def test_a_changed_fingerprint_misses_the_cache():
    CacheEntry.store(
        sha256="c" * 64,
        fingerprint="old",
        extractor="local",
        model="",
        result={"basics": {"name": "Ada"}},
        warnings=[],
        size_bytes=10,
    )
    job = enqueue(sha="c" * 64)
    assert job.state == JobState.QUEUED


def test_an_expired_cache_entry_misses():
    CacheEntry.store(
        sha256="c" * 64,
        fingerprint="fp",
        extractor="local",
        model="",
        result={},
        warnings=[],
        size_bytes=1,
    )
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert enqueue(sha="c" * 64).state == JobState.QUEUED


def test_an_identical_file_in_flight_joins_that_job_and_gets_its_result():
    leader = enqueue(sha="d" * 64)
    follower = enqueue(sha="d" * 64, priority=Priority.PREMIUM)
    assert follower.joined_to_id == leader.pk
    leader.refresh_from_db()
    assert leader.priority == Priority.PREMIUM  # the follower's class carries the job
    assert ExtractionJob.objects.waiting().count() == 1
    job = queue.claim_next("w")
    assert job.pk == leader.pk
    queue.succeed(job, result={"basics": {"name": "Bo"}}, warnings=[], extractor_used="local")
    follower.refresh_from_db()
    assert follower.state == JobState.SUCCEEDED
    assert follower.result == {"basics": {"name": "Bo"}}


def test_cancelling_a_leader_hands_its_place_to_a_follower():
    leader = enqueue(sha="e" * 64)
    follower = enqueue(sha="e" * 64)
    assert queue.cancel(leader)
    follower.refresh_from_db()
    assert follower.joined_to_id is None and follower.state == JobState.QUEUED
    assert queue.claim_next("w").pk == follower.pk


def test_a_running_job_cannot_be_cancelled():
    job = enqueue()
    queue.claim_next("w")
    assert not queue.cancel(job)


def test_a_system_failure_requeues_with_backoff_then_gives_up(settings):
    settings.EXTRACTION_MAX_ATTEMPTS = 2
    settings.EXTRACTION_RETRY_BACKOFF_S = 10
    enqueue()
    job = queue.claim_next("w")
    assert queue.retry_or_fail(job, "model_down", "down") == "requeued"
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.priority == Priority.RETRY
    assert queue.claim_next("w") is None  # still in backoff
    with time_machine.travel(timezone.now() + timedelta(seconds=11)):
        job = queue.claim_next("w")
        assert job.attempts == 2
        assert queue.retry_or_fail(job, "model_down", "down") == "failed"
    job.refresh_from_db()
    assert job.state == JobState.FAILED and not job.user_fault


def test_watchdog_requeues_a_job_whose_worker_died(settings):
    settings.EXTRACTION_RETRY_BACKOFF_S = 0
    enqueue()
    job = queue.claim_next("dead-worker")
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.EXTRACTION_LEASE_S + 1)):
        stats = queue.watchdog()
        assert stats["requeued"] == 1
        job.refresh_from_db()
        assert job.state == JobState.QUEUED
        again = queue.claim_next("w2")
    assert again.pk == job.pk and again.attempts == 2


def test_a_stale_worker_cannot_finish_a_job_it_lost():
    enqueue()
    stale = queue.claim_next("w1")
    ExtractionJob.objects.filter(pk=stale.pk).update(state=JobState.QUEUED, lease_token=None)
    fresh = queue.claim_next("w2")
    assert not queue.succeed(stale, result={}, warnings=[], extractor_used="local")
    assert queue.succeed(
        fresh, result={"basics": {"name": "X"}}, warnings=[], extractor_used="local"
    )
    fresh.refresh_from_db()
    assert fresh.result == {"basics": {"name": "X"}}


def test_move_to_front_overtakes_premium():
    enqueue(priority=Priority.PREMIUM)
    late = enqueue(priority=Priority.NEW)
    assert queue.move_to_front(late)
    assert queue.claim_next("w").pk == late.pk


def test_dispatch_hands_out_one_token_per_startable_job(settings, monkeypatch):
    settings.EXTRACTION_MAX_CONCURRENT = 3
    sent = []
    monkeypatch.setattr(queue, "submit_token", lambda: sent.append(1))
    for _ in range(5):
        enqueue()
    queue.claim_next("w")
    assert queue.dispatch() == 2 and len(sent) == 2


def test_transitions_are_audited():
    from monitoring.models import AuditLog

    enqueue()
    job = queue.claim_next("w")
    queue.succeed(job, result={}, warnings=[], extractor_used="local")
    actions = list(AuditLog.objects.filter(object_id=str(job.pk)).values_list("action", flat=True))
    assert set(actions) >= {"extraction.queued", "extraction.started", "extraction.succeeded"}


@pytest.mark.parametrize("end", ["succeed", "fail"])
def test_an_end_state_and_its_audit_row_commit_together(monkeypatch, end):
    # A worker that dies between the two must leave the job running (the watchdog
    # requeues it), never finished without the audit log knowing.
    enqueue()
    job = queue.claim_next("w")

    def broken(*args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(queue.audit, "record", broken)
    with pytest.raises(RuntimeError):
        if end == "succeed":
            queue.succeed(job, result={}, warnings=[], extractor_used="local")
        else:
            queue.fail(job, "unreadable", "no text", user_fault=True)
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.lease_token is not None


def test_watchdog_hands_a_requeued_job_to_a_worker_at_once(settings, monkeypatch):
    settings.EXTRACTION_RETRY_BACKOFF_S = 0
    sent = []
    monkeypatch.setattr(queue, "submit_token", lambda: sent.append(1))
    enqueue()
    queue.claim_next("dead-worker")
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.EXTRACTION_LEASE_S + 1), tick=True
    ):
        assert queue.watchdog() == {"requeued": 1, "failed": 0, "dispatched": 1}
    assert sent == [1]


def test_dispatch_counts_tokens_already_waiting_in_the_broker(settings, monkeypatch):
    settings.EXTRACTION_MAX_CONCURRENT = 5
    for _ in range(3):
        enqueue()
    monkeypatch.setattr(queue, "pending_tokens", lambda: 2)
    sent = []
    monkeypatch.setattr(queue, "submit_token", lambda: sent.append(1))
    assert queue.dispatch() == 1 and len(sent) == 1


def test_waiting_tokens_that_cover_every_free_slot_spare_the_queue_counts(settings, monkeypatch):
    from extraction.models import ExtractionJobQuerySet

    settings.EXTRACTION_MAX_CONCURRENT = 3
    for _ in range(5):
        enqueue()
    monkeypatch.setattr(queue, "pending_tokens", lambda: 3)
    sent = []
    monkeypatch.setattr(queue, "submit_token", lambda: sent.append(1))

    def counted(*args, **kwargs):
        raise AssertionError("the startable jobs were counted")

    monkeypatch.setattr(ExtractionJobQuerySet, "claimable", counted)
    assert queue.dispatch() == 0 and sent == []
    monkeypatch.setattr(queue, "pending_tokens", lambda: 2)  # one slot uncovered: counted
    with pytest.raises(AssertionError, match="counted"):
        queue.dispatch()


def test_tokens_sent_while_no_worker_runs_never_exceed_the_startable_jobs(settings):
    from django_q.models import OrmQ

    settings.EXTRACTION_MAX_CONCURRENT = 5
    for _ in range(12):
        enqueue()
        queue.dispatch()  # what each upload's commit does
    assert OrmQ.objects.count() == 5


# --- Recovery after a killed worker (issue 10, item 17) ---------------------------


@pytest.fixture
def tmp_dir(settings, tmp_path):
    settings.TMP_DIR = tmp_path / "tmp"
    settings.TMP_DIR.mkdir()
    return settings.TMP_DIR


def test_the_clock_requeues_a_dead_workers_job_when_its_lease_ends_and_dispatches_it_when_its_backoff_ends(  # noqa: E501
    settings, monkeypatch
):
    from extraction.clock import QueueClock

    settings.EXTRACTION_RETRY_BACKOFF_S = 2
    sent = []
    monkeypatch.setattr(queue, "submit_token", lambda: sent.append(1))
    enqueue()
    job = queue.claim_next("dead-worker")
    clock = QueueClock()  # not started: each look is called by hand
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        # The first look (worker start-up) knows when the lease runs out.
        assert clock.look() == job.lease_expires_at
    lease_end = job.lease_expires_at + timedelta(milliseconds=50)
    with time_machine.travel(lease_end, tick=False):
        backoff_end = clock.look()
        job.refresh_from_db()
        assert job.state == JobState.QUEUED and job.not_before == backoff_end
        assert backoff_end == lease_end + timedelta(seconds=2)
    assert sent == []  # still in its backoff
    with time_machine.travel(backoff_end + timedelta(milliseconds=50), tick=False):
        assert clock.look() is None  # nothing else is due
        assert sent == [1]
        assert queue.claim_next("w2").pk == job.pk


def test_the_clock_does_nothing_between_deadlines(settings, monkeypatch):
    from extraction.clock import QueueClock

    calls = []
    monkeypatch.setattr(queue, "watchdog", lambda now=None: calls.append(now) or {})
    enqueue()
    job = queue.claim_next("w")
    clock = QueueClock()
    clock.look()  # start-up: always a watchdog pass
    assert len(calls) == 1
    assert clock.look() == job.lease_expires_at
    assert len(calls) == 1


def test_dispatch_tells_this_process_clock_when_a_backoff_ends(settings, monkeypatch):
    from extraction import clock

    settings.EXTRACTION_RETRY_BACKOFF_S = 30
    woken = []
    monkeypatch.setattr(clock, "wake_at", woken.append)
    monkeypatch.setattr(queue, "submit_token", lambda: None)
    enqueue()
    job = queue.claim_next("w")
    assert queue.retry_or_fail(job, "model_down", "down") == "requeued"
    assert queue.dispatch() == 0
    job.refresh_from_db()
    assert woken == [job.not_before]


def test_the_watchdog_removes_the_plaintext_copy_of_a_dead_workers_job(settings, tmp_dir):
    settings.EXTRACTION_RETRY_BACKOFF_S = 0
    enqueue()
    job = queue.claim_next("dead-worker")
    copy = job.plaintext_path()
    assert copy.parent == tmp_dir and copy.name == f"{job.pk}.1.plain"
    copy.write_text("Grace Hopper, the CV in clear")
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.EXTRACTION_LEASE_S + 1)):
        assert queue.watchdog()["requeued"] == 1
    assert not copy.exists()


def test_a_sweep_removes_the_copies_no_running_attempt_owns(settings, tmp_dir):
    enqueue()
    running = queue.claim_next("w")
    done = enqueue()
    ExtractionJob.objects.filter(pk=done.pk).update(state=JobState.SUCCEEDED, attempts=1)
    done.refresh_from_db()
    kept = running.plaintext_path()
    earlier_attempt = running.plaintext_path(attempt=running.attempts + 5)
    finished = done.plaintext_path()
    stray = tmp_dir / "not-a-job.plain"
    upload = tmp_dir / "upload-abc"  # another kind of temporary file: not ours to judge
    for path in (kept, earlier_attempt, finished, stray, upload):
        path.write_text("x")
    assert queue.sweep_plaintext() == 3
    assert sorted(p.name for p in tmp_dir.iterdir()) == sorted([kept.name, upload.name])


def test_the_plaintext_copy_is_private_and_gone_after_the_attempt(settings, tmp_dir):
    from extraction import crypto

    enqueue()
    job = queue.claim_next("w")
    job.document.path.parent.mkdir(parents=True, exist_ok=True)
    crypto.write_private(job.document.path, crypto.seal(b"Grace Hopper"))
    with job.document.plaintext_copy(job.plaintext_path()) as path:
        assert path == job.plaintext_path()
        assert path.read_bytes() == b"Grace Hopper"
        assert path.stat().st_mode & 0o777 == 0o600
    assert not path.exists()


@pytest.mark.django_db(transaction=True)
def test_a_worker_start_up_removes_stale_copies_and_starts_the_queue_clock(settings, tmp_dir):
    from multiprocessing import current_process

    from django_q.signals import post_spawn

    from extraction import clock

    enqueue()
    job = queue.claim_next("dead-worker")
    ExtractionJob.objects.filter(pk=job.pk).update(state=JobState.QUEUED, lease_token=None)
    stale = job.plaintext_path()
    stale.write_text("Grace Hopper")
    # Sent about another process (as a test may): nothing happens here.
    post_spawn.send(sender="django_q", proc_name="Process-elsewhere")
    assert stale.exists() and clock.running() is None
    post_spawn.send(sender="django_q", proc_name=current_process().name)
    try:
        assert not stale.exists()
        assert clock.running() is not None and clock.running().daemon
    finally:
        clock.running().stop()
        clock.running().join(timeout=10)
        clock._clock = None


@pytest.mark.django_db(transaction=True)
def test_a_follower_joining_while_its_leader_ends_is_ended_with_it():
    """enqueue joins a running job under the queue lock; the leader's end
    takes the same lock, so a follower made in that window cannot be left
    queued behind a finished job (found by `make load`)."""
    import threading
    import time

    from django.db import connection, transaction

    leader = enqueue(sha="e" * 64)
    job = queue.claim_next("w")
    joiner_has_lock, follower = threading.Event(), {}

    def join_while_holding_the_lock():
        try:
            with transaction.atomic():
                queue._lock_queue()
                joiner_has_lock.set()
                time.sleep(0.5)  # the leader's end starts meanwhile
                follower["job"] = ExtractionJob.objects.create(
                    document=leader.document,
                    cache_key=leader.cache_key,
                    joined_to=leader,
                    priority=Priority.NEW,
                )
        finally:
            connection.close()

    joiner = threading.Thread(target=join_while_holding_the_lock)
    joiner.start()
    assert joiner_has_lock.wait(10)
    queue.succeed(job, result={"basics": {"name": "Bo"}}, warnings=[], extractor_used="local")
    joiner.join(10)
    late = ExtractionJob.objects.get(pk=follower["job"].pk)
    assert late.state == JobState.SUCCEEDED
    assert late.result == {"basics": {"name": "Bo"}}


def test_the_typical_duration_is_shared_for_a_while_and_a_new_one_clears_it(
    settings, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.EXTRACTION_ESTIMATE_CACHE_S = 60
    job = enqueue()
    ExtractionJob.objects.filter(pk=job.pk).update(
        state=JobState.SUCCEEDED, duration_ms=4000, finished_at=timezone.now()
    )
    assert queue.typical_duration() == 4.0
    with CaptureQueriesContext(connection) as queries:
        assert queue.typical_duration() == 4.0
    assert not queries.captured_queries
    # A real extraction finishes: the next estimate counts it.
    other = enqueue()
    claimed = queue.claim_next("test-worker")
    assert claimed.pk == other.pk
    with django_capture_on_commit_callbacks(execute=True):
        queue.succeed(
            claimed,
            result={"basics": {"name": "A"}},
            warnings=[],
            extractor_used="local",
            duration_ms=8000,
        )
    assert queue.typical_duration() == 6.0


def test_the_count_ahead_of_a_job_is_the_orms_for_every_kind_of_neighbour():
    """count_ahead_of writes its SQL by hand (issue 13: the ORM's query cost
    forty times SQLite's answer on every poll); it must count what
    ahead_of().count() counts: priorities, arrival, ties broken by id, and
    never a joined, running, finished or cancelled job."""
    import uuid

    same_moment = timezone.now() - timedelta(minutes=5)
    jobs = [enqueue(priority=p) for p in (Priority.NEW, Priority.BACKGROUND, Priority.PREMIUM)]
    jobs += [enqueue(priority=Priority.RETURNING) for _ in range(2)]
    # Ties on enqueued_at, broken by id either way.
    for job_id in (uuid.UUID(int=1), uuid.UUID(int=2**127), uuid.UUID(int=2**128 - 1)):
        job = enqueue()
        ExtractionJob.objects.filter(pk=job.pk).update(enqueued_at=same_moment)
        ExtractionJob.objects.filter(pk=job.pk).update(id=job_id)
    for state in (JobState.RUNNING, JobState.SUCCEEDED, JobState.CANCELLED):
        job = enqueue()
        ExtractionJob.objects.filter(pk=job.pk).update(state=state, enqueued_at=same_moment)
    follower = enqueue()
    ExtractionJob.objects.filter(pk=follower.pk).update(
        joined_to=jobs[0], enqueued_at=same_moment - timedelta(hours=1)
    )
    everyone = list(ExtractionJob.objects.all())
    assert len(everyone) == 12
    counts = [ExtractionJob.objects.count_ahead_of(j) for j in everyone]
    assert counts == [ExtractionJob.objects.ahead_of(j).count() for j in everyone]
    assert sorted(set(counts)) == list(range(8))  # eight waiting leaders, in order
    # A filtered queryset is counted through the ORM, filter included.
    mine = ExtractionJob.objects.filter(priority=Priority.RETURNING)
    last = max(everyone, key=lambda j: (j.priority, j.enqueued_at, j.id))
    assert mine.count_ahead_of(last) == mine.ahead_of(last).count() == 2


def test_a_polled_jobs_place_is_one_query_of_handwritten_sql():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ahead = enqueue()
    job = enqueue()
    with CaptureQueriesContext(connection) as queries:
        place = queue.place_of(job, typical=10)
    assert place.position == 2 and ahead.pk != job.pk
    assert len(queries) == 1
    sql = queries.captured_queries[0]["sql"]
    # Not the ORM's: it would alias the COUNT and quote every column with its table.
    assert sql.startswith("SELECT COUNT(*) FROM") and "__count" not in sql
