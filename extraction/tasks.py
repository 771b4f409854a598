"""django-q2 entry points: thin, they load by id and call domain code."""

from __future__ import annotations

from django.utils import timezone

from cv2web.batches import BatchDeleter
from monitoring import audit

from . import batches, queue, runner
from .models import CacheEntry, ExtractionJob


def run_next() -> str:
    """A queue token: claim the next ready job, if a slot is free, and run it."""
    job = queue.claim_next()
    if job is None:
        return "idle"
    outcome = runner.run_job(job)
    queue.dispatch()
    return outcome


def watchdog(dry_run: bool = False) -> dict[str, int]:
    """Requeue jobs whose worker died; hand waiting jobs to workers."""
    if dry_run:
        return {
            "would_requeue_or_fail": ExtractionJob.objects.lease_expired(timezone.now()).count(),
            "ready": ExtractionJob.objects.ready().count(),
        }
    return queue.watchdog()


def purge_cache(dry_run: bool = False) -> dict[str, int]:
    """Delete expired extraction cache entries, in bounded batches."""
    expired = CacheEntry.objects.expired()
    if dry_run:
        return {"would_delete": expired.count()}
    deleter = BatchDeleter()
    stats = {"deleted": deleter.delete(expired), **deleter.stats()}
    audit.record("retention.extraction_cache", category=audit.Category.SYSTEM, details=stats)
    return stats


def model_batches(dry_run: bool = False) -> dict:
    """Background mode: send due Message Batches API batches, poll open ones,
    keep their results (extraction.batches)."""
    return batches.run(dry_run=dry_run)
