"""django-q2 entry points of webhooks: thin, they load by id and call domain code."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from cv2web.batches import BatchDeleter

from . import delivery
from .models import Delivery


def deliver(delivery_id: str) -> str:
    """One attempt at one delivery, if it is due."""
    return delivery.attempt(delivery_id)


def deliver_due(dry_run: bool = False) -> dict[str, int]:
    """The "webhook deliveries" job: hand due retries to workers; forget old deliveries."""
    from django_q.tasks import async_task  # when used: it loads django_q's models

    now = timezone.now()
    due = list(
        Delivery.objects.due(now).values_list("pk", flat=True)[: settings.WEBHOOK_SWEEP_LIMIT]
    )
    old = Delivery.objects.finished_before(
        now - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    )
    if dry_run:
        return {"due": len(due), "would_delete": old.count()}
    for pk in due:
        async_task("webhooks.tasks.deliver", str(pk), group="webhooks")
    deleter = BatchDeleter()
    return {"due": len(due), "deleted": deleter.delete(old), **deleter.stats()}
