# Long as one idea: one state machine (enqueue, claim, finish, retry, cancel, watchdog), one lock.
"""The extraction queue: enqueue, claim, finish, retry, position, wait, watchdog.

Our table is the queue of record (SPEC E-5); django-q2 only executes. A
django-q2 task is a *token*: a worker that receives one claims the next ready
job, if fewer than EXTRACTION_MAX_CONCURRENT are running, and runs it. Tokens
are cheap and surplus ones exit at once, so every event that may free a slot
or add work just calls `dispatch()`.

Claiming and admission happen under one database-wide lock (a transaction-
scoped advisory lock on PostgreSQL; on SQLite the IMMEDIATE transaction
already serialises writers), so the concurrency and depth limits hold across
every worker process and machine.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import socket
import statistics
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Field, Q
from django.utils import timezone

from cv2web import instruments, locks, rawrows
from cv2web.errors import Refusal
from monitoring import audit

from .models import (
    PLAINTEXT_SUFFIX,
    BatchState,
    CacheEntry,
    Document,
    ExtractionJob,
    JobState,
    Mode,
    ModelBatch,
    Priority,
)
from .signals import backoff_pending, job_finished, job_not_done

log = logging.getLogger("cv2web.extraction.queue")

DEFAULT_ESTIMATE_S = 15.0
# Until a Message Batches API batch has ended here once: the API's own word is
# "most batches finish in less than an hour".
DEFAULT_BATCH_ESTIMATE_S = 3600.0


class _NotLooked:
    """enqueue()'s caller has not looked the cache up yet."""


class QueueFull(Refusal):
    """More than EXTRACTION_MAX_QUEUE_DEPTH jobs are waiting."""

    code = "queue_full"
    message = "The extraction queue is full right now. Please try again in a little while."
    status = 503

    def __init__(self, retry_after: int) -> None:
        super().__init__("The extraction queue is full.")
        self.retry_after = retry_after

    def answer_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}

    def answer_extra(self) -> dict:
        return {"retry_after_seconds": self.retry_after}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _lock_queue() -> None:
    """Serialise admission and claims across processes; call inside atomic()."""
    locks.hold("extraction-queue")


# --- Estimates ---------------------------------------------------------------


TYPICAL_KEY = "extraction-typical-duration"


def typical_duration(known: Mapping[str, Any] | None = None) -> float:
    """Median seconds of recent real (not cached) extractions.

    Shared through the cache for EXTRACTION_ESTIMATE_CACHE_S (every poll of a
    queued job and every upload page reads it; a new duration clears it).
    `known`: cache entries the caller read with TYPICAL_KEY among them (one
    round trip for several); a key missing there was not in the cache."""
    from django.core.cache import cache

    seconds = settings.EXTRACTION_ESTIMATE_CACHE_S
    if seconds and known is not None:
        cached = known.get(TYPICAL_KEY)
        if cached is not None:
            return cached
    elif seconds:
        with contextlib.suppress(Exception):  # the cache down: compute it
            cached = cache.get(TYPICAL_KEY)
            if cached is not None:
                return cached
    durations = ExtractionJob.objects.recent_durations()
    typical = statistics.median(durations) if durations else DEFAULT_ESTIMATE_S
    if seconds:
        with contextlib.suppress(Exception):
            cache.set(TYPICAL_KEY, typical, seconds)
    return typical


def _forget_typical_duration() -> None:
    from django.core.cache import cache

    with contextlib.suppress(Exception):
        cache.delete(TYPICAL_KEY)


@dataclass
class Place:
    position: int | None  # 1 = next to run; 0 = running; None = finished
    eta_seconds: int | None


def typical_batch_duration() -> float:
    """Median seconds from submitting a model batch to its end, recently."""
    durations = ModelBatch.objects.recent_durations()
    return statistics.median(durations) if durations else DEFAULT_BATCH_ESTIMATE_S


def place_of(job: ExtractionJob, *, typical: float | None = None) -> Place:
    """Where `job` stands (its leader's place when it joined another job)."""
    leader = job.leader
    if job.is_finished:
        return Place(None, None)
    if leader.state == JobState.RUNNING and leader.batch_state == BatchState.SUBMITTED:
        # In a model batch: the batch's typical time, not a worker's.
        elapsed = (timezone.now() - leader.started_at).total_seconds() if leader.started_at else 0
        return Place(0, max(1, math.ceil(typical_batch_duration() - elapsed)))
    if leader.state == JobState.QUEUED and leader.is_kept_for_batch:
        # Waiting for its batch to leave (size or age), then the batch's time.
        waited = (timezone.now() - leader.enqueued_at).total_seconds()
        gather = max(0.0, settings.EXTRACTION_BATCH_MAX_AGE_S - waited)
        position = ExtractionJob.objects.count_ahead_of(leader) + 1
        return Place(position, max(1, math.ceil(gather + 60 + typical_batch_duration())))
    typical = typical if typical is not None else typical_duration()
    if leader.state == JobState.RUNNING:
        elapsed = (timezone.now() - leader.started_at).total_seconds() if leader.started_at else 0
        return Place(0, max(1, math.ceil(typical - elapsed)))
    if leader.state != JobState.QUEUED:
        return Place(None, None)
    position = ExtractionJob.objects.count_ahead_of(leader) + 1
    if leader.priority == Priority.BACKGROUND:
        # People ahead take every slot; background jobs then share their own.
        people = ExtractionJob.objects.ahead_of(leader).filter(priority__lt=leader.priority)
        before = people.count()
        own = position - before
        eta = place_eta(before, typical=typical) if before else 0
        waves = math.ceil(own / settings.EXTRACTION_BACKGROUND_MAX_SLOTS)
        return Place(position, max(1, eta + math.ceil(waves * typical)))
    return Place(position, place_eta(position, typical=typical))


def place_eta(position: int, *, typical: float | None = None) -> int:
    """Seconds until the job at `position` (1 = next) would be done."""
    typical = typical if typical is not None else typical_duration()
    waves = math.ceil(position / settings.EXTRACTION_MAX_CONCURRENT)
    return max(1, math.ceil(waves * typical))


@dataclass(frozen=True)
class QueueStatus:
    """The queue as the upload page, the status page and the dashboard show it."""

    waiting: int  # people's jobs (interactive slots); background work is apart
    running: int  # in worker slots
    max_waiting: int
    max_running: int
    full: bool
    background_waiting: int = 0
    in_model_batches: int = 0

    @property
    def eta_seconds(self) -> int:
        """Until a new upload would be done (read when asked: it costs a query)."""
        return place_eta(self.waiting + 1)

    @property
    def typical_seconds(self) -> int:
        return round(typical_duration())

    @property
    def typical_words(self) -> str:
        """How long a CV usually takes, in words that stay true ("a few seconds")."""
        return duration_words(typical_duration())


def duration_words(seconds: float) -> str:
    """A duration as a person would say it: never "about 0 seconds"."""
    if seconds < 10:
        return "a few seconds"
    if seconds < 50:
        return "under a minute"
    if seconds < 90:
        return "about a minute"
    if seconds < 55 * 60:
        return f"about {round(seconds / 60)} minutes"
    return "about an hour" if seconds < 90 * 60 else "more than an hour"


def status() -> QueueStatus:
    counts = ExtractionJob.objects.counts()
    return QueueStatus(
        waiting=counts["waiting"],
        running=counts["in_slots"],
        max_waiting=settings.EXTRACTION_MAX_QUEUE_DEPTH,
        max_running=settings.EXTRACTION_MAX_CONCURRENT,
        full=is_full(waiting=counts["waiting"]),
        background_waiting=counts["background_waiting"],
        in_model_batches=counts["in_model_batches"],
    )


# --- Counts asked on every upload, their SQL built once ---------------------------
#
# Building a count through the ORM cost several times what the database takes
# to answer it (issue 13); these are asked on every accepted upload (the queue's
# depth, the slots in use) and in every dispatch. Each is its queryset's own
# SQL, compiled once per database: its parameters are constants.

_COUNTED: dict[str, Callable[[], Any]] = {
    "in_slots": lambda: ExtractionJob.objects.in_slots(),
    "waiting_interactive": lambda: ExtractionJob.objects.waiting_interactive(),
    "waiting_background": lambda: ExtractionJob.objects.waiting_background(),
}


@functools.cache
def _count_sql(name: str, db: str) -> tuple[str, tuple]:
    inner = _COUNTED[name]().using(db).order_by().values("pk")
    sql, params = inner.query.get_compiler(db).as_sql()
    return f"SELECT COUNT(*) FROM ({sql}) counted", tuple(params)  # noqa: S608 - ours


def count_of(name: str) -> int:
    """`ExtractionJob.objects.<name>().count()` (in_slots, waiting_interactive,
    waiting_background) through SQL built once."""
    db = ExtractionJob.objects.db
    sql, params = _count_sql(name, db)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


# A time no job is ever kept until: its place among a compiled statement's
# parameters is where `now` goes.
_NOW_MARK = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


@functools.cache
def _backoff_sql(db: str) -> tuple[str, tuple, int, list]:
    field = ExtractionJob._meta.get_field("not_before")
    inner = (
        ExtractionJob.objects.using(db)
        .waiting()
        .filter(not_before__gt=_NOW_MARK)
        .order_by()
        .values("not_before")
    )
    sql, params = inner.query.get_compiler(db).as_sql()
    conn = connections[db]
    mark = rawrows.prep(ExtractionJob, "not_before", _NOW_MARK, db)
    if [p == mark for p in params].count(True) != 1:  # pragma: no cover - a new Django
        raise RuntimeError("next_backoff_end: the time's place among the parameters is unknown")
    col = field.get_col("backoff")
    converters = conn.ops.get_db_converters(col) + col.get_db_converters(conn)
    sql = f"SELECT MIN(backoff.{conn.ops.quote_name(str(field.column))}) FROM ({sql}) backoff"  # noqa: S608
    return sql, tuple(params), params.index(mark), [(c, col) for c in converters]


def next_backoff_end(now=None):
    """`ExtractionJob.objects.next_backoff_end(now)` through SQL built once."""
    db = ExtractionJob.objects.db
    sql, params, at, converters = _backoff_sql(db)
    conn = connections[db]
    values = list(params)
    values[at] = rawrows.prep(ExtractionJob, "not_before", now or timezone.now(), db)
    with conn.cursor() as cursor:
        cursor.execute(sql, values)
        value = cursor.fetchone()[0]
    if value is not None:
        for convert, col in converters:
            value = convert(value, col, conn)
    return value


@functools.cache
def _leader_sql(db: str) -> str:
    j = rawrows.columns(ExtractionJob, "j", db)
    qn = connections[db].ops.quote_name
    meta = ExtractionJob._meta

    def col(name: str) -> str:
        field = meta.get_field(name)
        assert isinstance(field, Field)  # a column, not a reverse relation
        return f"{qn('j')}.{qn(str(field.column))}"

    return (
        f"SELECT {j.sql} FROM {j.table} "  # noqa: S608 - ours: names from the model
        f"WHERE {col('joined_to')} IS NULL AND {col('cache_key')} = %s "
        f"AND {col('state')} IN (%s, %s) ORDER BY {col('created_at')} LIMIT 1"
    )


def leader_for(key: str) -> ExtractionJob | None:
    """The job an upload of cache key `key` would join: the oldest leader
    waiting or running with that key (`ExtractionJob.objects.leaders()`
    filtered and ordered so), read through SQL built once. Building that
    SELECT of every column through the ORM cost about 1.5 ms of every upload
    that is not a cache hit (issue 13)."""
    db = ExtractionJob.objects.db
    params = [
        rawrows.prep(ExtractionJob, "cache_key", key, db),
        rawrows.prep(ExtractionJob, "state", JobState.QUEUED, db),
        rawrows.prep(ExtractionJob, "state", JobState.RUNNING, db),
    ]
    with connections[db].cursor() as cursor:
        cursor.execute(_leader_sql(db), params)
        row = cursor.fetchone()
    return None if row is None else rawrows.columns(ExtractionJob, "j", db).instance(row)


def is_full(*, waiting: int | None = None) -> bool:
    """The one rule of a full queue: EXTRACTION_MAX_QUEUE_DEPTH jobs wait already.

    Background work waits apart (`is_background_full`): it never fills the
    queue people see. `waiting` passes on a count the caller has just made.
    """
    if waiting is None:
        waiting = count_of("waiting_interactive")
    return waiting >= settings.EXTRACTION_MAX_QUEUE_DEPTH


def is_background_full() -> bool:
    waiting = count_of("waiting_background")
    return waiting >= settings.EXTRACTION_BACKGROUND_MAX_QUEUE_DEPTH


def retry_after_seconds() -> int:
    """How long a refused client should wait before one queue slot frees."""
    return max(5, math.ceil(typical_duration() / settings.EXTRACTION_MAX_CONCURRENT))


# --- Enqueue -------------------------------------------------------------------


def enqueue(
    document: Document,
    *,
    extractor: str,
    fingerprint: str,
    priority: int | Callable[[], int] = Priority.NEW,
    mode: str = Mode.INTERACTIVE,
    owner=None,
    client: str = "",
    via: str = "web",
    use_cache: bool = True,
    cache_entry: CacheEntry | None | type[_NotLooked] = _NotLooked,
    admit: Callable[[], tuple[str, date]] | None = None,
    manage_token_hash: str = "",
) -> ExtractionJob:
    """Create the job for `document`: answered from cache, joined, or queued.

    `priority` is a class or a callable giving it. Raises QueueFull when too
    many jobs wait already. `cache_entry` passes on a lookup the caller
    already made (None: it missed). `admit` is called only when a new job
    will run, inside the admission lock: it may refuse by raising, or return
    the (subject, day) of the allowance it used. A `mode` of background puts
    the job in the background class (docs/api.md, background mode).
    """
    key = CacheEntry.make_key(document.sha256, fingerprint)
    if mode == Mode.BACKGROUND:
        priority = Priority.BACKGROUND
    common = {
        "document": document,
        "extractor": extractor,
        "mode": mode,
        "fingerprint": fingerprint,
        "cache_key": key,
        "owner": owner if owner is not None and owner.is_authenticated else None,
        "client": client,
        "via": via,
        "manage_token_hash": manage_token_hash,
    }
    now = timezone.now()
    if isinstance(cache_entry, type):  # _NotLooked: the caller did not look
        cache_entry = CacheEntry.lookup(key) if use_cache else None
    entry = cache_entry
    if entry is not None:
        return _succeeded_at_once(
            common,
            "extraction.cache_hit",
            prepared={"result": getattr(entry, "sealed_result", None)},
            cached=True,
            result=entry.result,
            warnings=entry.warnings,
            confidence=entry.confidence,
            extractor_used=entry.extractor,
            model=entry.model,
        )

    # Only work that waits in the queue needs its class (it may cost a query).
    priority = priority() if callable(priority) else priority
    with transaction.atomic():
        _lock_queue()
        leader = leader_for(key) if use_cache else None
        if leader is not None:
            job = rawrows.create(ExtractionJob, **common, joined_to=leader, priority=priority)
            in_batch = leader.batch_state == BatchState.SUBMITTED
            if priority < leader.priority and (leader.state == JobState.QUEUED or in_batch):
                # The follower's class carries the job it waits for: a waiting
                # one runs sooner (a background one leaves the batcher for a
                # slot); one inside a model batch, should its item fall back,
                # is retried in the person's class, not the background one.
                ExtractionJob.objects.filter(
                    Q(state=JobState.QUEUED) | Q(batch_state=BatchState.SUBMITTED),
                    pk=leader.pk,
                    state__in=[JobState.QUEUED, JobState.RUNNING],
                ).update(priority=priority)
            audit.record(
                "extraction.joined",
                obj=job,
                actor=common["owner"],
                details={"leader": str(leader.pk)},
            )
            return job
        if is_background_full() if priority == Priority.BACKGROUND else is_full():
            raise QueueFull(retry_after_seconds())
        quota_subject, quota_day = admit() if admit is not None else ("", None)
        job = rawrows.create(
            ExtractionJob,
            **common,
            priority=priority,
            enqueued_at=now,
            quota_subject=quota_subject,
            quota_day=quota_day,
        )
        audit.record(
            "extraction.queued",
            obj=job,
            actor=common["owner"],
            details={"priority": priority, "extractor": extractor},
        )
        transaction.on_commit(dispatch)
    return job


def _succeeded_at_once(
    common: dict, action: str, prepared: dict | None = None, **fields
) -> ExtractionJob:
    """A job that ends as it is made: no queue, no worker, no allowance used.
    `prepared`: columns given as the database holds them (rawrows.create)."""
    now = timezone.now()
    job = rawrows.create(
        ExtractionJob,
        **common,
        state=JobState.SUCCEEDED,
        started_at=now,
        finished_at=now,
        **fields,
        _prepared={k: v for k, v in (prepared or {}).items() if v is not None},
    )
    audit.record(
        action, obj=job, actor=common["owner"], details={"sha256": common["document"].sha256}
    )
    cached = bool(fields.get("cached"))
    instruments.extraction_finished(
        fields.get("extractor_used") or common["extractor"],
        "cached" if cached else "imported",
        cached_where="upload" if cached else "",
    )
    announce_finished([job.pk], jobs=[job], made_finished=True)
    return job


def imported(
    document: Document,
    *,
    result: dict,
    warnings: list[str],
    extractor: str,
    fingerprint: str,
    mode: str = Mode.INTERACTIVE,
    owner=None,
    client: str = "",
    via: str = "web",
    manage_token_hash: str = "",
) -> ExtractionJob:
    """The job of a document that needs no extraction (a JSON Resume brought
    as it is, already cleaned): succeeded at once, as a cache hit is. It waits
    in no queue, calls no model and counts against no allowance (no `admit`);
    it is reviewed and published as any other job."""
    common = {
        "document": document,
        "extractor": extractor,
        "mode": mode,
        "fingerprint": fingerprint,
        "cache_key": CacheEntry.make_key(document.sha256, fingerprint),
        "owner": owner if owner is not None and owner.is_authenticated else None,
        "client": client,
        "via": via,
        "manage_token_hash": manage_token_hash,
    }
    return _succeeded_at_once(
        common,
        "extraction.imported",
        result=result,
        warnings=warnings,
        extractor_used=extractor,
    )


# --- Dispatch and claims ---------------------------------------------------------


_broker: tuple[int, object] | None = None


def _get_broker():
    """One django-q2 broker per process (building one per call costs ms)."""
    global _broker
    if _broker is None or _broker[0] != os.getpid():
        # Imported when first used: django_q's brokers and tasks load its
        # models and cluster settings, which this module must not need to load.
        from django_q.brokers import get_broker

        _broker = (os.getpid(), get_broker())
    return _broker[1]


def submit_token() -> None:
    from django_q.tasks import async_task  # when used: see _get_broker()

    async_task("extraction.tasks.run_next", group="extraction", broker=_get_broker())


def pending_tokens() -> int:
    """Tasks waiting in the broker that no worker has taken yet."""
    return _get_broker().queue_size() or 0


def dispatch(now=None) -> int:
    """Make sure there is a token for every job that could start now.

    Tokens already waiting in the broker count: without that, every upload
    made while workers are busy would add a full set of surplus tokens. The
    count and the sending happen under the queue lock, so dispatchers that run
    at the same moment (every worker's clock wakes at the same backoff end)
    see each other's tokens. When a waiting job is still in its backoff, this
    process's queue clock (if it has one) is told when it ends. Returns how
    many tokens were sent.
    """
    # With Q_SYNC a token runs its job inside submit_token: never under the lock.
    sync = settings.Q_CLUSTER.get("sync", False)
    with transaction.atomic():
        _lock_queue()
        tokens = _tokens_needed(now)
        for _ in range(0 if sync else tokens):
            submit_token()
    for _ in range(tokens if sync else 0):
        submit_token()
    backoff_end = next_backoff_end(now)
    if backoff_end is not None:
        backoff_pending.send(sender=ExtractionJob, when=backoff_end)
    return tokens


def _background_room() -> bool:
    """Background work may take one more worker slot."""
    running = ExtractionJob.objects.in_slots().filter(priority=Priority.BACKGROUND).count()
    return running < settings.EXTRACTION_BACKGROUND_MAX_SLOTS


def _tokens_needed(now=None) -> int:
    """min(free slots, startable jobs), less the tokens already waiting."""
    free = settings.EXTRACTION_MAX_CONCURRENT - count_of("in_slots")
    if free <= 0:
        return 0
    # Waiting tokens that cover every free slot leave nothing to send, however
    # many jobs could start: the common case while workers are busy, and two
    # counts over the queue cheaper for each upload it holds (issue 13).
    pending = pending_tokens()
    if pending >= free:
        return 0
    claimable = ExtractionJob.objects.claimable(now, background_room=_background_room())
    tokens = min(free, claimable.count())
    return tokens - min(tokens, pending)


def claim_next(worker: str | None = None, now=None) -> ExtractionJob | None:
    """Take the next ready job if a running slot is free; None otherwise.

    Background jobs come last (the background class), take at most
    EXTRACTION_BACKGROUND_MAX_SLOTS slots, and those kept for a model batch
    are not taken at all (extraction.batches sends them).
    """
    now = now or timezone.now()
    with transaction.atomic():
        _lock_queue()
        if ExtractionJob.objects.in_slots().count() >= settings.EXTRACTION_MAX_CONCURRENT:
            return None
        job = (
            ExtractionJob.objects.claimable(now, background_room=_background_room())
            .in_queue_order()
            .select_for_update(skip_locked=True)
            .first()
        )
        if job is None:
            return None
        token = uuid.uuid4()
        changed = ExtractionJob.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
            state=JobState.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            not_before=None,
            lease_expires_at=now + timedelta(seconds=settings.EXTRACTION_LEASE_S),
            lease_token=token,
            worker=(worker or worker_name())[:100],
        )
        if not changed:
            return None
        job.refresh_from_db()
        audit.record(
            "extraction.started",
            category=audit.Category.SYSTEM,
            obj=job,
            details={"attempt": job.attempts, "worker": job.worker},
        )
        return job


# --- Finishing -------------------------------------------------------------------


def _finish(job: ExtractionJob, **fields) -> bool:
    """Move a running job to its end state, only if it still holds its lease.
    Call inside transaction.atomic()."""
    # Under the queue lock, as `enqueue` joins a running job under it: a
    # follower that joins while this job ends is either seen here and ended
    # with it, or it sees this job ended and does not join. Without it, a
    # follower committed just after this update waited forever.
    _lock_queue()
    now = timezone.now()
    fields.setdefault("finished_at", now)
    changed = ExtractionJob.objects.filter(
        pk=job.pk, state=JobState.RUNNING, lease_token=job.lease_token
    ).update(lease_token=None, lease_expires_at=None, **fields)
    if not changed:
        log.warning("job %s lost its lease before finishing; result discarded", job.pk)
        return False
    follower_fields = {
        k: v
        for k, v in fields.items()
        if k
        in (
            "state",
            "result",
            "warnings",
            "confidence",
            "error_code",
            "error_message",
            "user_fault",
            "extractor_used",
            "model",
            "finished_at",
        )
    }
    job.followers.filter(state__in=[JobState.QUEUED, JobState.RUNNING]).update(
        started_at=job.started_at, **follower_fields
    )
    # The followers that ended with it: the same end state at the same instant.
    followers = list(
        job.followers.filter(state=fields["state"], finished_at=fields["finished_at"]).values_list(
            "pk", flat=True
        )
    )
    for k, v in fields.items():
        setattr(job, k, v)
    job.lease_token = None
    announce_finished([job.pk, *followers])
    return True


def announce_finished(
    job_ids: list, jobs: list[ExtractionJob] | None = None, *, made_finished: bool = False
) -> None:
    """`job_finished` for these jobs once the end state is committed.

    `jobs`: all of these jobs as committed, documents loaded, when the caller
    holds them (a job made finished, as a cache hit is): listeners may read
    them instead of asking the database. `made_finished`: these jobs were made
    already finished in the transaction that commits (see signals.job_finished).

    A listener's failure is logged, never raised: the job has ended whatever
    those who follow it do about it.
    """

    def send() -> None:
        for receiver, outcome in job_finished.send_robust(
            sender=ExtractionJob, job_ids=job_ids, jobs=jobs, made_finished=made_finished
        ):
            if isinstance(outcome, Exception):
                log.error(
                    "job_finished listener %s failed for %d job(s)",
                    getattr(receiver, "__qualname__", receiver),
                    len(job_ids),
                    exc_info=outcome,
                )

    transaction.on_commit(send)


def succeed(
    job: ExtractionJob,
    *,
    result: dict,
    warnings: list[str],
    extractor_used: str,
    model: str = "",
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: float = 0.0,
    ratelimit: dict | None = None,
    cached: bool = False,
    duration_ms: int | None = None,
    confidence: dict | None = None,
    batch_state: str | None = None,
) -> bool:
    # The end state and its audit row commit together: a worker that dies between
    # them must not leave a finished job that the audit log never heard of.
    with transaction.atomic():
        done = _finish(
            job,
            state=JobState.SUCCEEDED,
            result=result,
            warnings=warnings,
            confidence=confidence or {},
            extractor_used=extractor_used,
            model=model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=round(cost_usd, 6),
            ratelimit=ratelimit or {},
            cached=cached,
            duration_ms=duration_ms,
            error_code="",
            error_message="",
            **({} if batch_state is None else {"batch_state": batch_state}),
        )
        if done:
            audit.record(
                "extraction.succeeded",
                category=audit.Category.SYSTEM,
                obj=job,
                details={
                    "extractor": extractor_used,
                    "duration_ms": duration_ms,
                    "cached": cached,
                },
            )
            if not cached and duration_ms is not None:
                transaction.on_commit(_forget_typical_duration)
            instruments.extraction_finished(
                extractor_used,
                "cached" if cached else "succeeded",
                duration_ms=None if cached else duration_ms,
                cached_where="worker" if cached else "",
            )
    return done


def fail(job: ExtractionJob, code: str, message: str, *, user_fault: bool) -> bool:
    with transaction.atomic():
        done = _finish(
            job,
            state=JobState.FAILED,
            error_code=code[:40],
            error_message=message,
            user_fault=user_fault,
        )
        if done:
            audit.record(
                "extraction.failed",
                category=audit.Category.SYSTEM,
                obj=job,
                details={"code": code, "user_fault": user_fault},
            )
            instruments.extraction_finished(job.extractor, "failed")
    if done and not user_fault:
        job_not_done.send(sender=ExtractionJob, job=job)
    return done


def backoff_seconds(attempts: int) -> int:
    return settings.EXTRACTION_RETRY_BACKOFF_S * 2 ** max(0, attempts - 1)


def _retry_class(job: ExtractionJob) -> int:
    # SPEC E-5: retries form their own class, behind first attempts; staff's
    # "front" stays in front, and background work stays behind people.
    if job.priority in (Priority.FRONT, Priority.BACKGROUND):
        return job.priority
    return Priority.RETRY


def retry_or_fail(
    job: ExtractionJob,
    code: str,
    message: str,
    *,
    batch_state: str | None = None,
    backoff: bool = True,
) -> str:
    """After a failure that was not the file's fault: queue again, or give up.

    `batch_state` records why a model batch's job now runs in a slot
    (BatchState.RETRY or LOCAL); its batch answered without backoff.
    """
    if job.attempts >= settings.EXTRACTION_MAX_ATTEMPTS:
        fail(job, code, message, user_fault=False)
        return "failed"
    now = timezone.now()
    extra = {} if batch_state is None else {"batch_state": batch_state}
    with transaction.atomic():
        changed = ExtractionJob.objects.filter(
            pk=job.pk, state=JobState.RUNNING, lease_token=job.lease_token
        ).update(
            state=JobState.QUEUED,
            priority=_retry_class(job),
            not_before=now + timedelta(seconds=backoff_seconds(job.attempts)) if backoff else None,
            **extra,
            lease_token=None,
            lease_expires_at=None,
            worker="",
            error_code=code[:40],
            error_message=message,
        )
        if changed:
            audit.record(
                "extraction.retry",
                category=audit.Category.SYSTEM,
                obj=job,
                details={"code": code, "attempt": job.attempts, **extra},
            )
            if not backoff:
                transaction.on_commit(dispatch)
    return "requeued"


# --- Cancel, staff actions --------------------------------------------------------


def cancel(job: ExtractionJob, *, actor=None) -> bool:
    """Cancel a waiting job; False when it has already started or ended."""
    with transaction.atomic():
        _lock_queue()
        now = timezone.now()
        changed = ExtractionJob.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
            state=JobState.CANCELLED, finished_at=now
        )
        if not changed:
            return False
        if job.joined_to_id is None:
            # Those who joined this job still want their result: the earliest
            # of them takes its place in the queue.
            followers = list(job.followers.filter(state=JobState.QUEUED).order_by("created_at"))
            if followers:
                heir = followers[0]
                ExtractionJob.objects.filter(pk=heir.pk).update(
                    joined_to=None,
                    enqueued_at=job.enqueued_at,
                    priority=min(f.priority for f in followers),
                )
                ExtractionJob.objects.filter(pk__in=[f.pk for f in followers[1:]]).update(
                    joined_to=heir
                )
        audit.record("extraction.cancelled", obj=job, actor=actor)
        job_not_done.send(sender=ExtractionJob, job=job)
        announce_finished([job.pk])
    return True


def retry_now(job: ExtractionJob, *, actor=None) -> bool:
    """Staff: run a failed or cancelled job again, with a fresh allowance of attempts."""
    changed = ExtractionJob.objects.filter(
        pk=job.pk, state__in=[JobState.FAILED, JobState.CANCELLED], joined_to__isnull=True
    ).update(
        state=JobState.QUEUED,
        attempts=0,
        not_before=None,
        finished_at=None,
        error_code="",
        error_message="",
        enqueued_at=timezone.now(),
    )
    if changed:
        audit.record(
            "extraction.retried_by_staff", category=audit.Category.SECURITY, obj=job, actor=actor
        )
        transaction.on_commit(dispatch)
    return bool(changed)


def move_to_front(job: ExtractionJob, *, actor=None) -> bool:
    changed = ExtractionJob.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
        priority=Priority.FRONT, not_before=None
    )
    if changed:
        audit.record(
            "extraction.moved_to_front", category=audit.Category.SECURITY, obj=job, actor=actor
        )
        # A job that was in its backoff is ready now: do not wait for a clock.
        transaction.on_commit(dispatch)
    return bool(changed)


# --- Watchdog --------------------------------------------------------------------


def watchdog(now=None) -> dict[str, int]:
    """Requeue jobs whose worker died (lease expired), then dispatch waiting work.

    The dead worker's decrypted copy of the upload goes first (on this
    machine; `sweep_plaintext` finds it on others), whatever becomes of the job.
    """
    now = now or timezone.now()
    stats = {"requeued": 0, "failed": 0, "dispatched": 0}
    removed = 0
    for job in ExtractionJob.objects.lease_expired(now):
        removed += job.remove_plaintext()
        if job.attempts >= settings.EXTRACTION_MAX_ATTEMPTS:
            if fail(
                job,
                "worker_lost",
                "The extraction stopped unexpectedly several times. Please try again later.",
                user_fault=False,
            ):
                stats["failed"] += 1
        elif retry_or_fail(job, "worker_lost", "The worker stopped; trying again.") == "requeued":
            stats["requeued"] += 1
    removed += sweep_plaintext()
    if removed:
        log.info("removed %d decrypted upload copies left by stopped workers", removed)
    # A fresh clock: jobs requeued just now (without backoff) are ready too.
    stats["dispatched"] = dispatch()
    return stats


def sweep_plaintext() -> int:
    """Remove the decrypted upload copies in TMP_DIR that no running attempt owns.

    Run at worker start-up and by every watchdog pass: a copy belongs to a
    job's attempt (`<job id>.<attempt>.plain`), and once that attempt is no
    longer running (its worker died, the job was requeued or ended) nobody
    will remove it otherwise. The files are listed before the jobs are read,
    so a copy made meanwhile by a newly claimed attempt is not looked at.
    """
    copies: list[tuple[tuple[str, int] | None, Path]] = []
    for path in Path(settings.TMP_DIR).glob(f"*{PLAINTEXT_SUFFIX}"):
        job_id, _, attempt = path.name.removesuffix(PLAINTEXT_SUFFIX).rpartition(".")
        try:
            copies.append(((str(uuid.UUID(job_id)), int(attempt)), path))
        except ValueError:
            copies.append((None, path))  # not a name we give: nobody owns it
    if not copies:
        return 0
    owned = ExtractionJob.objects.running_attempts({key[0] for key, _ in copies if key})
    removed = 0
    for key, path in copies:
        if key not in owned:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    return removed


# --- Model batches (background mode; extraction.batches drives them) -------------


def claim_for_batch(ids: list, batch: ModelBatch, now=None) -> list[ExtractionJob]:
    """Move the jobs of `ids` still kept for a model batch into `batch`.

    They run without a worker slot and without a lease deadline (the batch's
    own timeout stands for it); the batch's id is their lease token, so every
    end state stays a conditional UPDATE as for a worker's job. Jobs that
    changed meanwhile (cancelled, lifted by a person who joined them) stay out.
    """
    now = now or timezone.now()
    with transaction.atomic():
        _lock_queue()
        claimable = ExtractionJob.objects.for_model_batch().filter(pk__in=ids)
        picked = list(claimable.select_for_update().values_list("pk", flat=True))
        ExtractionJob.objects.filter(pk__in=picked).update(
            state=JobState.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            not_before=None,
            lease_token=batch.pk,
            lease_expires_at=None,
            worker=f"batch {str(batch.pk)[:8]}",
            batch=batch,
            batch_state=BatchState.SUBMITTED,
        )
        jobs = list(ExtractionJob.objects.filter(pk__in=picked).select_related("document"))
        audit.record_each(
            "extraction.batched",
            ExtractionJob.objects.filter(pk__in=picked),
            category=audit.Category.SYSTEM,
            details={"batch": str(batch.pk)},
        )
    return jobs


def release_from_batch(batch: ModelBatch, *, to: str = BatchState.NONE) -> int:
    """Put a batch's unfinished jobs back in the queue (the batch was never
    accepted, or was lost before its id was stored): `to` NONE lets the
    batcher send them again, RETRY sends them to a worker slot."""
    with transaction.atomic():
        _lock_queue()
        changed = ExtractionJob.objects.filter(
            batch=batch, state=JobState.RUNNING, lease_token=batch.pk
        ).update(
            state=JobState.QUEUED,
            # The attempt never reached the model.
            attempts=F("attempts") - 1,
            lease_token=None,
            worker="",
            batch_state=to,
            batch=batch if to != BatchState.NONE else None,
        )
        if changed and to != BatchState.NONE:
            transaction.on_commit(dispatch)
    return changed
