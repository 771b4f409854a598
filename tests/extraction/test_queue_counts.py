"""The queue's counts asked on every upload and dispatch, through SQL built
once (issue 13): the same answers as the querysets they are compiled from."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from extraction import queue
from extraction.models import BatchState, Document, ExtractionJob, JobState, Priority

pytestmark = pytest.mark.django_db


def job(**fields) -> ExtractionJob:
    doc = Document.objects.create(
        sha256=uuid.uuid4().hex * 2, kind="txt", size=10, storage_name=f"{uuid.uuid4().hex}.txt"
    )
    return ExtractionJob.objects.create(document=doc, extractor="local", fingerprint="fp", **fields)


def mixed_queue(now) -> None:
    """Jobs in every combination the counts tell apart."""
    leader = job(state=JobState.RUNNING)
    combos = itertools.product(
        [JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED, JobState.FAILED],
        [Priority.PREMIUM, Priority.NEW, Priority.BACKGROUND],
        [BatchState.NONE, BatchState.SUBMITTED],
        [None, now - timedelta(minutes=1), now + timedelta(minutes=5)],
    )
    for n, (state, priority, batch, not_before) in enumerate(combos):
        job(
            state=state,
            priority=priority,
            batch_state=batch,
            not_before=not_before,
            joined_to=leader if n % 7 == 0 else None,
        )


def orm_counts() -> dict[str, int]:
    jobs = ExtractionJob.objects
    return {
        "in_slots": jobs.in_slots().count(),
        "waiting_interactive": jobs.waiting_interactive().count(),
        "waiting_background": jobs.waiting_background().count(),
    }


def test_the_counts_answer_as_their_querysets_do():
    assert {name: queue.count_of(name) for name in orm_counts()} == orm_counts()
    now = timezone.now()
    mixed_queue(now)
    counts = orm_counts()
    assert all(counts.values())  # each count sees some rows and leaves others out
    assert counts["in_slots"] < ExtractionJob.objects.filter(state=JobState.RUNNING).count()
    assert {name: queue.count_of(name) for name in counts} == counts


def test_the_next_backoff_end_is_the_querysets_at_every_time():
    now = timezone.now()
    assert queue.next_backoff_end(now) is None
    mixed_queue(now)
    for at in (now - timedelta(hours=1), now, now + timedelta(minutes=4), now + timedelta(hours=1)):
        assert queue.next_backoff_end(at) == ExtractionJob.objects.next_backoff_end(at)
    assert queue.next_backoff_end(now) == now + timedelta(minutes=5)
    assert queue.next_backoff_end(now + timedelta(hours=1)) is None


def test_the_leader_is_the_querysets_whatever_the_states():
    def orm(key):
        return (
            ExtractionJob.objects.leaders()
            .filter(cache_key=key, state__in=[JobState.QUEUED, JobState.RUNNING])
            .order_by("created_at")
            .first()
        )

    assert queue.leader_for("same") is None
    now = timezone.now()
    done = job(cache_key="same", state=JobState.SUCCEEDED, created_at=now - timedelta(hours=3))
    running = job(cache_key="same", state=JobState.RUNNING, created_at=now - timedelta(hours=1))
    job(cache_key="same", state=JobState.QUEUED, created_at=now)
    job(cache_key="same", joined_to=running, created_at=now - timedelta(hours=2))
    job(cache_key="other", state=JobState.QUEUED, created_at=now - timedelta(hours=4))
    found = queue.leader_for("same")
    assert found == orm("same") == running and done != found
    # The instance is read as the ORM reads it (converted columns, its state).
    assert found.created_at == ExtractionJob.objects.get(pk=running.pk).created_at
    assert found.state == JobState.RUNNING and not found._state.adding
    running.state = JobState.FAILED
    running.save()
    assert queue.leader_for("same") == orm("same") and queue.leader_for("same").state == "queued"
    assert queue.leader_for("none") is None
