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


def watchdog() -> dict[str, int]:
    return queue.watchdog()


def purge_cache() -> dict[str, int]:
    """Delete expired extraction cache entries, in bounded batches."""
    from .models import CacheEntry

    deleted = 0
    while True:
        ids = list(CacheEntry.objects.expired().values_list("pk", flat=True)[:1000])
        if not ids:
            return {"deleted": deleted}
        deleted += CacheEntry.objects.filter(pk__in=ids).delete()[0]
