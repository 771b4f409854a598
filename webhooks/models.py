"""Webhooks: signing keys, registered endpoints, upload calls that asked to be
told, and every delivery with its attempts (issue 14 point 4)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from extraction.fields import EncryptedJSONField
from extraction.models import ExtractionJob, JobState
from quotas.models import ApiToken

from . import signing

FINISHED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class Event(models.TextChoices):
    JOB_FINISHED = "extraction.finished", "A job ended"
    BATCH_FINISHED = "batch.finished", "Every job of a batch upload ended"


class SigningKey(models.Model):
    """The secret that signs every webhook of one API token: shown once to its
    owner, stored encrypted at rest (extraction.crypto, rotatable keys)."""

    token = models.OneToOneField(ApiToken, on_delete=models.CASCADE, related_name="webhook_key")
    secret = EncryptedJSONField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"signing key of {self.token}"

    @classmethod
    def ensure(cls, token: ApiToken) -> tuple[SigningKey, str | None]:
        """The token's key, and its secret when it was made just now (to show once)."""
        existing = cls.objects.filter(token=token).first()
        if existing is not None:
            return existing, None
        secret = signing.new_secret(settings.WEBHOOK_SECRET_BYTES)
        try:
            with transaction.atomic():
                return cls.objects.create(token=token, secret=secret), secret
        except IntegrityError:
            # A concurrent call made it first: that caller shows it.
            return cls.objects.get(token=token), None

    @classmethod
    def rotate(cls, token: ApiToken) -> str:
        """A new secret for the token (shown once); the old one signs nothing more."""
        secret = signing.new_secret(settings.WEBHOOK_SECRET_BYTES)
        cls.objects.update_or_create(
            token=token, defaults={"secret": secret, "created_at": timezone.now()}
        )
        return secret


class EndpointQuerySet(models.QuerySet):
    def active(self):
        return self.filter(disabled_at__isnull=True)

    def listening_to(self, event: str):
        return [e for e in self.active() if event in e.events]


class Endpoint(models.Model):
    """An https URL an API token registered to receive its events."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(max_length=2048)
    events = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    disabled_at = models.DateTimeField(null=True, blank=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url[:80]

    def disable(self) -> bool:
        return bool(
            Endpoint.objects.filter(pk=self.pk, disabled_at__isnull=True).update(
                disabled_at=timezone.now()
            )
        )


class UploadBatch(models.Model):
    """One upload call (a batch, or a single file) whose end is to be announced:
    to its `callback_url`, and to its token's endpoints."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="upload_batches")
    is_batch = models.BooleanField(default=True)
    callback_url = models.CharField(max_length=2048, blank=True)
    jobs = models.ManyToManyField(ExtractionJob, related_name="upload_batches")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "upload batches"

    def __str__(self) -> str:
        return f"{'batch' if self.is_batch else 'upload'} {self.pk}"

    def unfinished_jobs(self):
        return self.jobs.exclude(state__in=FINISHED)

    def mark_finished(self) -> bool:
        """True once, for the caller that saw the last job end."""
        return bool(
            UploadBatch.objects.filter(pk=self.pk, finished_at__isnull=True).update(
                finished_at=timezone.now()
            )
        )


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class DeliveryQuerySet(models.QuerySet):
    def due(self, now: datetime | None = None):
        return self.filter(
            state=DeliveryState.PENDING, next_attempt_at__lte=now or timezone.now()
        ).order_by("next_attempt_at")

    def finished_before(self, when: datetime):
        return self.filter(
            Q(state=DeliveryState.DELIVERED) | Q(state=DeliveryState.FAILED),
            created_at__lt=when,
        )


class Delivery(models.Model):
    """One event for one URL, with its retries: the queue of record of webhooks.

    Its id is the event's `webhook-id`, the same on every attempt, so that
    receivers can drop duplicates. The payload names jobs and their states,
    never what a CV says: nothing here needs encrypting.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="webhook_deliveries")
    endpoint = models.ForeignKey(
        Endpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    batch = models.ForeignKey(
        UploadBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    url = models.CharField(max_length=2048)
    event = models.CharField(max_length=40, choices=Event.choices)
    payload = models.JSONField()
    # One delivery per (target, event occurrence), whoever notices it first.
    dedupe_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=40, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event} -> {self.url[:60]}"

    @property
    def msg_id(self) -> str:
        return f"msg_{self.pk.hex}"

    def claim(self, now: datetime, lease: timedelta) -> bool:
        """Take the next attempt (the lease keeps anyone else from taking it too)."""
        return bool(
            Delivery.objects.filter(
                pk=self.pk, state=DeliveryState.PENDING, next_attempt_at__lte=now
            ).update(next_attempt_at=now + lease, attempts=F("attempts") + 1, last_attempt_at=now)
        )

    def retry_now(self) -> bool:
        """Staff: one more attempt now, whatever happened before."""
        return bool(
            Delivery.objects.filter(pk=self.pk)
            .exclude(state=DeliveryState.DELIVERED)
            .update(state=DeliveryState.PENDING, next_attempt_at=timezone.now())
        )


class Attempt(models.Model):
    """One try at a delivery: where it went and what came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=64, blank=True, help_text="The address connected to.")
    excerpt = models.CharField(max_length=300, blank=True, help_text="The answer's first bytes.")
    truncated = models.BooleanField(default=False)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status or self.error}"
