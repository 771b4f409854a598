"""Deleting many rows without a long lock: every app's retention uses this
(monitoring's jobs, extraction's cache purge)."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import models


class BatchDeleter:
    """Deletes a queryset's rows in batches of primary keys and times each batch.

    Each batch is its own short statement, so a backlog of a million rows
    never holds a long lock or a huge transaction.
    """

    def __init__(self, batch_size: int | None = None):
        self.batch_size = batch_size or settings.RETENTION_BATCH_SIZE
        self.batches = 0
        self.longest_ms = 0.0

    def delete(self, queryset: models.QuerySet) -> int:
        model = queryset.model
        deleted = 0
        while True:
            started = time.perf_counter()
            # One statement per batch: DELETE … WHERE pk IN (SELECT pk … LIMIT n).
            # The models deleted here have no cascades or signals, so Django
            # deletes without loading the rows.
            batch = queryset.order_by().values("pk")[: self.batch_size]
            count, _ = model.objects.filter(pk__in=batch).delete()
            if not count:
                return deleted
            deleted += count
            self.batches += 1
            self.longest_ms = max(self.longest_ms, (time.perf_counter() - started) * 1000)

    def stats(self) -> dict:
        return {"batches": self.batches, "longest_batch_ms": round(self.longest_ms, 1)}
