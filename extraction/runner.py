"""Run one claimed job: cache, pipeline, cache fill, and the job's end state."""

from __future__ import annotations

import logging
import time

from django.conf import settings

from . import crypto, pipeline, queue
from .errors import ExtractionError
from .models import BatchState, CacheEntry, ExtractionJob

log = logging.getLogger("cv2web.extraction")


def run_job(job: ExtractionJob) -> str:
    """Execute a job this worker holds the lease of; returns its outcome."""
    started = time.monotonic()
    deadline = started + settings.EXTRACTION_TIMEOUT_S
    if answer_from_cache(job):
        return "cached"
    try:
        # The stored file is sealed; the readers get a private plaintext copy,
        # named after this attempt so that it can be found if we are killed.
        with job.document.plaintext_copy(job.plaintext_path()) as path:
            result = pipeline.run(
                path,
                job.document.kind,
                job.extractor,
                deadline=deadline,
                fall_back=job.batch_state == BatchState.LOCAL,
            )
    except ExtractionError as exc:
        if exc.user_fault:
            queue.fail(job, exc.code, exc.message, user_fault=True)
            return "failed"
        return queue.retry_or_fail(job, exc.code, exc.message)
    except crypto.DecryptionError as exc:
        # A configuration fault (a key dropped too early), not the file's: the
        # file is kept, and a retry succeeds once the key is back.
        log.error("extraction job %s: stored file %s: %s", job.pk, job.document.storage_name, exc)
        return queue.retry_or_fail(
            job,
            "file_unreadable",
            "We could not open your stored file on our side. Please try again later.",
        )
    except Exception:  # noqa: BLE001 - a bug must not kill the worker or lose the job
        log.exception("extraction job %s crashed", job.pk)
        return queue.retry_or_fail(
            job, "internal_error", "Something went wrong on our side while reading your CV."
        )
    store_result(job, result, duration_ms=int((time.monotonic() - started) * 1000))
    return "succeeded"


def answer_from_cache(job: ExtractionJob) -> bool:
    """Finish a claimed job from the cache if another job filled it meanwhile."""
    entry = CacheEntry.lookup(job.cache_key)
    if entry is None:
        return False
    queue.succeed(
        job,
        result=entry.result,
        warnings=entry.warnings,
        confidence=entry.confidence,
        extractor_used=entry.extractor,
        model=entry.model,
        cached=True,
        batch_state=BatchState.NONE if job.batch_state == BatchState.SUBMITTED else None,
    )
    return True


def store_result(
    job: ExtractionJob, result: pipeline.PipelineResult, *, duration_ms: int | None
) -> bool:
    """Fill the cache (when the answer is the asked extractor's) and finish the job:
    the one way a result is kept, whether a worker or a model batch got it."""
    outcome = result.outcome
    if result.cacheable:
        CacheEntry.store(
            sha256=job.document.sha256,
            fingerprint=job.fingerprint,
            extractor=outcome.extractor,
            model=outcome.model,
            result=result.resume,
            warnings=result.warnings,
            size_bytes=result.size_bytes,
            confidence=outcome.confidence,
        )
    return queue.succeed(
        job,
        result=result.resume,
        warnings=result.warnings,
        confidence=outcome.confidence,
        extractor_used=outcome.extractor,
        model=outcome.model,
        input_tokens=outcome.input_tokens,
        output_tokens=outcome.output_tokens,
        cost_usd=outcome.cost_usd,
        ratelimit=outcome.ratelimit,
        duration_ms=duration_ms,
        batch_state=BatchState.DONE if job.batch_state == BatchState.SUBMITTED else None,
    )
