"""Sending a delivery: one attempt at a time, retried with backoff for a day.

An attempt claims the delivery (a conditional UPDATE that also pushes its next
attempt a lease ahead, so that a second worker cannot send it at the same
time and a worker that dies mid-attempt only delays it), signs the body
afresh (a new `webhook-timestamp` per attempt, the same `webhook-id`), POSTs
it through `transport`, records the attempt, and decides:

- 2xx: delivered;
- no answer (timeout, connection refused or cut), 5xx, 408, 429: another try
  after the next of WEBHOOK_RETRY_DELAYS_S, as long as it falls within
  WEBHOOK_RETRY_WINDOW_S of the event; otherwise failed;
- anything else (a 3xx, which is never followed; a 4xx; an address or URL now
  refused; a revoked token or a removed endpoint): failed at once.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from monitoring import audit

from . import signing, transport
from .models import Attempt, Delivery, DeliveryState, SigningKey

log = logging.getLogger("cv2web.webhooks")


def body_of(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def next_attempt_at(delivery: Delivery, now: datetime) -> datetime | None:
    """When to try again after attempt number `delivery.attempts`; None: give up."""
    delays = settings.WEBHOOK_RETRY_DELAYS_S
    if delivery.attempts > len(delays):
        return None
    when = now + timedelta(seconds=delays[delivery.attempts - 1])
    if when > delivery.created_at + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_S):
        return None
    return when


def _lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_S + settings.WEBHOOK_CONNECT_TIMEOUT_S + 60)


def _close(delivery: Delivery, number: int, **fields) -> None:
    # Only the attempt that claimed it may close it (a staff retry meanwhile wins).
    Delivery.objects.filter(pk=delivery.pk, attempts=number, state=DeliveryState.PENDING).update(
        **fields
    )


def _refuse(delivery: Delivery, number: int, code: str) -> str:
    Attempt.objects.create(delivery=delivery, number=number, error=code)
    _close(delivery, number, state=DeliveryState.FAILED, last_error=code, next_attempt_at=None)
    return "failed"


def attempt(delivery_id, now: datetime | None = None) -> str:
    """Make the next attempt if it is due; "delivered", "retrying", "failed" or "not_due"."""
    now = now or timezone.now()
    row = Delivery.objects.filter(pk=delivery_id).first()
    if row is None or not row.claim(now, _lease()):
        return "not_due"
    delivery = Delivery.objects.select_related("token", "endpoint").get(pk=delivery_id)
    number = delivery.attempts
    if delivery.token.revoked_at is not None:
        return _refuse(delivery, number, "token_revoked")
    if delivery.endpoint is not None and delivery.endpoint.disabled_at is not None:
        return _refuse(delivery, number, "endpoint_removed")
    key = SigningKey.objects.filter(token_id=delivery.token_id).first()
    if key is None:
        return _refuse(delivery, number, "no_signing_key")

    body = body_of(delivery)
    outcome = transport.post(delivery.url, body, signing.headers(key.secret, delivery.msg_id, body))
    Attempt.objects.create(
        delivery=delivery,
        number=number,
        started_at=now,
        duration_ms=outcome.duration_ms,
        status=outcome.status,
        error=outcome.error,
        address=outcome.address,
        excerpt=outcome.excerpt,
        truncated=outcome.truncated,
    )
    finished = timezone.now()
    common = {"last_status": outcome.status, "last_error": outcome.error}
    if outcome.delivered:
        _close(
            delivery,
            number,
            state=DeliveryState.DELIVERED,
            delivered_at=finished,
            next_attempt_at=None,
            **common,
        )
        return "delivered"
    retry_at = next_attempt_at(delivery, finished) if outcome.retryable else None
    if retry_at is not None:
        _close(delivery, number, next_attempt_at=retry_at, **common)
        return "retrying"
    if outcome.status is not None and 300 <= outcome.status < 400:
        common["last_error"] = "redirect_not_followed"
    _close(delivery, number, state=DeliveryState.FAILED, next_attempt_at=None, **common)
    audit.record(
        "webhook.failed",
        category=audit.Category.SYSTEM,
        obj=delivery,
        details={
            "event": delivery.event,
            "attempts": number,
            "status": outcome.status,
            "error": common["last_error"],
        },
    )
    return "failed"
