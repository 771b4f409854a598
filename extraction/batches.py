"""Background mode through the Message Batches API (issue 14, docs/api.md).

Background jobs for the claude extractor do not take a worker slot: a
scheduled job (monitoring/schedules.py, "extraction model batches", every
minute) gathers them into one batch of at most EXTRACTION_BATCH_MAX_SIZE
once that many wait or the oldest has waited EXTRACTION_BATCH_MAX_AGE_S,
sends it, polls it, and keeps each answer through the same path as a
worker's (`pipeline.finish` -> `runner.store_result`: data model limits,
cache, end state and audit row), at the batch price.

An item that brings no usable answer falls back on its own: errored,
expired or cancelled items (and items the results do not mention, or whose
line cannot be read) go to a background worker slot as an interactive call,
which falls back to the local extractor when the model fails again; an
answer the model gave but that cannot be used, or a request the API refused
as invalid, goes straight to the local extractor. A batch that has not
ended after EXTRACTION_BATCH_TIMEOUT_S is cancelled and its jobs fall back.

Crash safety: the jobs are moved into the batch (state running, the batch's
id as their lease token, no lease deadline) before the create call, and the
API's batch id is stored as soon as the call answers, before anything waits:
a restarted worker resumes polling from the row. A run that died before the
id was stored leaves a "submitting" row, whose jobs the next run puts back
in the queue (the one window where a batch may be paid twice: the call
answered and the process died before the id was written).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from monitoring import audit

from . import crypto, pipeline, queue, runner
from .errors import ExtractionError, ExtractorUnavailable
from .extractors import claude, configured_name, get_extractor
from .models import (
    BatchState,
    CacheEntry,
    Document,
    ExtractionJob,
    JobState,
    Mode,
    ModelBatch,
    ModelBatchState,
    Priority,
)
from .readers import read_document

log = logging.getLogger("cv2web.extraction.batches")


@dataclass
class Stats:
    recovered: int = 0
    polled: int = 0
    batches_ended: int = 0
    stored: int = 0
    cached: int = 0
    fell_back: int = 0
    failed: int = 0
    batches_sent: int = 0
    jobs_sent: int = 0
    timed_out: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "errors"}
        if self.errors:
            out["errors"] = self.errors[:10]
        return out


def run(dry_run: bool = False) -> dict:
    """The scheduled job: recover, poll every open batch, send what is due."""
    now = timezone.now()
    if dry_run:
        return {
            "open_batches": ModelBatch.objects.open().count(),
            "waiting_for_a_batch": ExtractionJob.objects.for_model_batch().count(),
            "would_send": bool(_due(now)),
        }
    stats = Stats()
    stats.recovered = recover(now)
    # One run stays well inside a django-q2 task's timeout: polling and
    # reading texts each get EXTRACTION_BATCH_PREPARE_S; what is left waits
    # for the next minute's run.
    budget_end = time.monotonic() + settings.EXTRACTION_BATCH_PREPARE_S
    open_batches = ModelBatch.objects.filter(state=ModelBatchState.IN_PROGRESS)
    for batch in open_batches.order_by(F("last_polled_at").asc(nulls_first=True), "created_at"):
        if time.monotonic() > budget_end:
            break
        poll(batch, stats, now=now, budget_end=budget_end)
    budget_end = time.monotonic() + settings.EXTRACTION_BATCH_PREPARE_S
    while time.monotonic() < budget_end and submit(stats, now=now, budget_end=budget_end):
        pass
    return stats.as_dict()


# --- Recovery ------------------------------------------------------------------


def recover(now=None) -> int:
    """Put back in the queue the jobs of batches whose sending died half-way.

    Runs of this job never overlap (monitoring.jobs), so a "submitting" row
    older than a task's timeout belongs to a run that is gone.
    """
    now = now or timezone.now()
    stale = ModelBatch.objects.filter(
        state=ModelBatchState.SUBMITTING,
        created_at__lt=now - timedelta(seconds=settings.Q_TASK_TIMEOUT),
    )
    released = 0
    for batch in stale:
        released += queue.release_from_batch(batch)
        _close(batch, ModelBatchState.FAILED, error="sending stopped before the API answered")
    return released


# --- Sending -------------------------------------------------------------------


def _due(now) -> list[ExtractionJob]:
    """The jobs of the next batch, if one should leave now: a full batch, or
    the oldest has waited EXTRACTION_BATCH_MAX_AGE_S."""
    size = settings.EXTRACTION_BATCH_MAX_SIZE
    jobs = list(
        ExtractionJob.objects.for_model_batch()
        .filter(enqueued_at__lte=now)
        .select_related("document")
        .in_queue_order()[:size]
    )
    if not jobs:
        return []
    oldest = min(job.enqueued_at for job in jobs)
    if len(jobs) < size and (now - oldest).total_seconds() < settings.EXTRACTION_BATCH_MAX_AGE_S:
        return []
    return jobs


@dataclass
class _Read:
    job: ExtractionJob
    text: str = ""
    warnings: list[str] = field(default_factory=list)
    # Why it is not sent: ("fail", code, message) for the file's own fault,
    # ("retry", code, message) for ours.
    problem: tuple[str, str, str] | None = None


def _read(job: ExtractionJob) -> _Read:
    """The CV's text, read as a worker reads it (decrypted copy, forked parser)."""
    try:
        # A copy of its own name (not the job's `.plain` one): the job is not
        # running yet, so a worker's sweep would take that one for a leftover.
        with job.document.plaintext_copy() as path:
            read = read_document(path, job.document.kind)
    except ExtractionError as exc:
        kind = "fail" if exc.user_fault else "retry"
        return _Read(job, problem=(kind, exc.code, exc.message))
    except crypto.DecryptionError:
        return _Read(
            job,
            problem=(
                "retry",
                "file_unreadable",
                "We could not open your stored file on our side. Please try again later.",
            ),
        )
    except Exception:  # noqa: BLE001 - one bad document must not stop the batch
        log.exception("model batch: reading job %s failed", job.pk)
        return _Read(
            job,
            problem=(
                "retry",
                "internal_error",
                "Something went wrong on our side while reading your CV.",
            ),
        )
    return _Read(job, text=read.text, warnings=list(read.warnings))


def submit(stats: Stats, *, now=None, budget_end: float | None = None) -> bool:
    """Send one batch if one is due; True if one was sent (more may be due)."""
    now = now or timezone.now()
    candidates = _due(now)
    if not candidates:
        return False
    reads: list[_Read] = []
    for job in candidates:
        if reads and budget_end is not None and time.monotonic() > budget_end:
            break  # the rest go in the next batch
        reads.append(_read(job))

    batch = ModelBatch.objects.create(
        fingerprint=claude.get_claude_extractor().fingerprint(), created_at=now
    )
    claimed = {job.pk: job for job in queue.claim_for_batch([r.job.pk for r in reads], batch)}
    requests = []
    for read in reads:
        taken = claimed.get(read.job.pk)
        if taken is None:
            continue  # cancelled, or lifted by a person who joined it, meanwhile
        job = taken
        if runner.answer_from_cache(job):
            # The same bytes were extracted meanwhile (re-extraction of a
            # document a person has just uploaded again): no model call.
            ExtractionJob.objects.filter(pk=job.pk).update(batch=None)
            stats.cached += 1
            continue
        if read.problem is not None:
            what, code, message = read.problem
            if what == "fail":
                if queue.fail(job, code, message, user_fault=True):
                    # Never sent: it was in no batch.
                    ExtractionJob.objects.filter(pk=job.pk).update(
                        batch=None, batch_state=BatchState.NONE
                    )
                stats.failed += 1
            else:
                queue.retry_or_fail(job, code, message, batch_state=BatchState.RETRY)
                stats.fell_back += 1
            continue
        if read.warnings:
            # Kept on the job until the answer comes back (pipeline.finish
            # puts them with the extractor's own).
            ExtractionJob.objects.filter(pk=job.pk).update(warnings=read.warnings)
        requests.append({"custom_id": str(job.pk), "params": claude.request_params(read.text)})
    if not requests:
        _close(batch, ModelBatchState.ENDED, error="no document could be sent")
        return True

    try:
        answer = claude.create_batch(requests)
    except ExtractorUnavailable as exc:
        # Not accepted: nothing was spent. Asking again later may work (load,
        # rate limit), unless the refusal is final (key, spend limit, invalid).
        waited = (now - min(r.job.enqueued_at for r in reads)).total_seconds()
        gave_up = exc.final or waited > settings.EXTRACTION_BATCH_TIMEOUT_S
        released = queue.release_from_batch(
            batch, to=BatchState.RETRY if gave_up else BatchState.NONE
        )
        if gave_up:
            stats.fell_back += released
        _close(batch, ModelBatchState.FAILED, error=f"{exc.code}: {exc.message}")
        stats.errors.append(f"create: {exc.code}")
        audit.record(
            "extraction.batch_refused",
            category=audit.Category.SYSTEM,
            obj=batch,
            details={"code": exc.code, "jobs": len(requests), "fell_back": gave_up},
        )
        return False
    # Stored before anything waits on it: a worker that dies from here on
    # leaves a row the next run polls.
    ModelBatch.objects.filter(pk=batch.pk).update(
        provider_id=str(answer.id)[:100],
        state=ModelBatchState.IN_PROGRESS,
        submitted_at=timezone.now(),
        size=len(requests),
    )
    stats.batches_sent += 1
    stats.jobs_sent += len(requests)
    audit.record(
        "extraction.batch_sent",
        category=audit.Category.SYSTEM,
        obj=batch,
        details={"provider_id": str(answer.id), "jobs": len(requests)},
    )
    return True


# --- Polling and results ---------------------------------------------------------


def poll(batch: ModelBatch, stats: Stats, *, now=None, budget_end: float | None = None) -> None:
    """Look at one open batch: store its results once it has ended (the second
    readings of its answers only until `budget_end`: see `_second_reading`)."""
    now = now or timezone.now()
    stats.polled += 1
    submitted = batch.submitted_at or batch.created_at
    if (now - submitted).total_seconds() > settings.EXTRACTION_BATCH_TIMEOUT_S:
        claude.cancel_batch(batch.provider_id)
        stats.timed_out += 1
        stats.fell_back += _fall_back_rest(batch, "batch_timeout", "The model batch took too long.")
        _close(batch, ModelBatchState.TIMED_OUT, error="timed out; cancelled")
        return
    try:
        answer = claude.retrieve_batch(batch.provider_id)
    except ExtractorUnavailable as exc:
        stats.errors.append(f"retrieve {batch.provider_id}: {exc.code}")
        if exc.final:  # e.g. 404: the API no longer knows it
            stats.fell_back += _fall_back_rest(batch, exc.code, exc.message)
            _close(batch, ModelBatchState.FAILED, error=f"{exc.code}: {exc.message}")
        return  # else: load or a network fault; the next run asks again
    counts = answer.request_counts.model_dump() if answer.request_counts else {}
    ModelBatch.objects.filter(pk=batch.pk).update(last_polled_at=now, counts=counts)
    if answer.processing_status != "ended":
        return
    if batch.ended_at is None:
        batch.ended_at = answer.ended_at or now
        ModelBatch.objects.filter(pk=batch.pk).update(ended_at=batch.ended_at)
    store_results(batch, stats, budget_end=budget_end)


def store_results(batch: ModelBatch, stats: Stats, *, budget_end: float | None = None) -> None:
    """Keep every answer of an ended batch; what has none falls back."""
    jobs = {
        str(job.pk): job
        for job in ExtractionJob.objects.filter(
            batch=batch, state=JobState.RUNNING, lease_token=batch.pk
        ).select_related("document")
    }
    try:
        for item in claude.batch_results(batch.provider_id):
            job = jobs.pop(item.custom_id, None)
            if job is None:
                continue  # not ours, or kept by an earlier run already
            _keep(job, item, stats, check_until=budget_end)
    except ExtractorUnavailable as exc:
        stats.errors.append(f"results {batch.provider_id}: {exc.code}")
        if not exc.final:
            return  # what was kept stays kept; the next run reads the rest
    stats.fell_back += _fall_back_rest(
        batch, "batch_no_result", "The model batch gave no result for this CV."
    )
    stats.batches_ended += 1
    _close(batch, ModelBatchState.ENDED)
    audit.record(
        "extraction.batch_ended",
        category=audit.Category.SYSTEM,
        obj=batch,
        details={"provider_id": batch.provider_id, **(batch.counts or {})},
    )


def _keep(
    job: ExtractionJob, item: claude.BatchItem, stats: Stats, *, check_until: float | None = None
) -> None:
    if item.outcome is not None:
        result = pipeline.finish(item.outcome, list(job.warnings or []), cacheable=True)
        _second_reading(job, result, until=check_until)
        # No duration: a batch's hours would skew the workers' wait estimate.
        if runner.store_result(job, result, duration_ms=None):
            stats.stored += 1
        return
    state = BatchState.LOCAL if item.fallback == "local" else BatchState.RETRY
    log.info("model batch: job %s fell back (%s -> %s)", job.pk, item.failure, state)
    queue.retry_or_fail(
        job,
        f"batch_{item.failure}"[:40],
        "The model batch could not answer for this CV; trying another way.",
        batch_state=state,
        backoff=False,
    )
    stats.fell_back += 1


def _second_reading(job: ExtractionJob, result: pipeline.PipelineResult, *, until) -> None:
    """The fields a person should check, for a batch's answer as for a call's
    (`pipeline.cross_check`, issue 15 point 3). The batch kept no text, so it is
    read again; only while the run's polling time lasts (`until`), so that a
    large batch never pushes the run past its task's timeout: answers kept
    after that have no flags, and the log says so."""
    if not settings.EXTRACTION_CROSS_CHECK or result.outcome.extractor == "local":
        return
    if until is not None and time.monotonic() >= until:
        log.info(
            "model batch: job %s kept without a second reading (the run's time is spent)", job.pk
        )
        return
    read = _read(job)
    if read.problem is not None:
        log.warning(
            "model batch: job %s kept without a second reading (%s)", job.pk, read.problem[1]
        )
        return
    deadline = time.monotonic() + settings.EXTRACTION_CROSS_CHECK_TIMEOUT_S
    pipeline.cross_check(result, read.text, deadline)


def _fall_back_rest(batch: ModelBatch, code: str, message: str) -> int:
    """Send the batch's jobs still waiting for an answer to a worker slot."""
    n = 0
    for job in ExtractionJob.objects.filter(
        batch=batch, state=JobState.RUNNING, lease_token=batch.pk
    ):
        queue.retry_or_fail(job, code[:40], message, batch_state=BatchState.RETRY, backoff=False)
        n += 1
    return n


def _close(batch: ModelBatch, state: str, *, error: str = "") -> None:
    ModelBatch.objects.filter(pk=batch.pk).update(
        state=state, error=error[:200], finished_at=timezone.now()
    )
    batch.state = state


# --- Re-extraction after a model change (staff, from the admin) -------------------


@dataclass
class Reextraction:
    queued: int = 0
    already_current: int = 0
    expired: int = 0
    file_missing: int = 0
    queue_full: int = 0
    jobs: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "jobs"}


def reextract(
    documents: list[Document], *, actor=None, expired: int = 0, file_missing: int = 0
) -> Reextraction:
    """Queue the documents again in background mode with the current extractor.

    Only documents within retention (their cache entry, or the upload itself,
    younger than EXTRACTION_CACHE_DAYS) whose stored file still exists: a
    document whose file is gone is counted in `file_missing` and left alone
    (its earlier results stay; nothing can be read again). One audit row
    with the counts, and the usual row per queued job.
    """
    now = timezone.now()
    name = configured_name()
    fingerprint = get_extractor(name).fingerprint()
    retention = timedelta(days=settings.EXTRACTION_CACHE_DAYS)
    out = Reextraction(expired=expired, file_missing=file_missing)
    seen: set[str] = set()
    for document in documents:
        if document.sha256 in seen:
            continue  # the same bytes twice: once is enough
        seen.add(document.sha256)
        if document.kind == Document.Kind.JSON:
            # A JSON Resume brought as it is: no extractor read it, so a new
            # model has nothing to read again.
            out.already_current += 1
            continue
        if (
            CacheEntry.objects.live(now)
            .filter(key=CacheEntry.make_key(document.sha256, fingerprint))
            .exists()
        ):
            out.already_current += 1
            continue
        if (
            document.created_at < now - retention
            and not CacheEntry.objects.live(now).filter(sha256=document.sha256).exists()
        ):
            out.expired += 1
            continue
        if not document.path.exists():
            out.file_missing += 1
            continue
        try:
            job = queue.enqueue(
                document,
                extractor=name,
                fingerprint=fingerprint,
                mode=Mode.BACKGROUND,
                priority=Priority.BACKGROUND,
                via="admin",
            )
        except queue.QueueFull:
            out.queue_full += 1
            continue
        out.queued += 1
        out.jobs.append(str(job.pk))
    audit.record(
        "extraction.reextract",
        category=audit.Category.SECURITY,
        actor=actor,
        details={"extractor": name, "fingerprint": fingerprint, **out.as_dict()},
    )
    return out


def reextract_entries(entries, *, actor=None) -> Reextraction:
    """`reextract` for cache entries: expired entries are past retention and
    skipped; for each live one, the newest document with those bytes whose
    file still exists (else the newest, counted as missing)."""
    now = timezone.now()
    documents = []
    expired = missing = 0
    for entry in entries:
        if entry.expires_at <= now:
            expired += 1
            continue
        docs = list(Document.objects.filter(sha256=entry.sha256).order_by("-created_at")[:20])
        if not docs:
            missing += 1  # every upload of these bytes was erased
            continue
        if docs:
            documents.append(next((d for d in docs if d.path.exists()), docs[0]))
    return reextract(documents, actor=actor, expired=expired, file_missing=missing)
