"""django-q2 entry points: thin, they load by id and call domain code."""

from __future__ import annotations

from . import queue, runner


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
        from django.utils import timezone

        from .models import ExtractionJob

        return {
            "would_requeue_or_fail": ExtractionJob.objects.lease_expired(timezone.now()).count(),
            "ready": ExtractionJob.objects.ready().count(),
        }
    return queue.watchdog()


def purge_cache(dry_run: bool = False) -> dict[str, int]:
    """Delete expired extraction cache entries, in bounded batches."""
    from django.conf import settings

    from .models import CacheEntry

    if dry_run:
        return {"would_delete": CacheEntry.objects.expired().count()}
    deleted = batches = 0
    while True:
        ids = list(
            CacheEntry.objects.expired().values_list("pk", flat=True)[
                : settings.RETENTION_BATCH_SIZE
            ]
        )
        if not ids:
            return {"deleted": deleted, "batches": batches}
        deleted += CacheEntry.objects.filter(pk__in=ids).delete()[0]
        batches += 1
