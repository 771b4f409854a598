"""Which events a finished job makes, and for whom (issue 14 point 4).

`jobs_finished` is extraction's `job_finished` listener: for each upload call
(UploadBatch) that holds one of the jobs, an `extraction.finished` event goes
to the token's endpoints that listen to it (and to a single upload's
`callback_url`); when the call's last job has ended, one `batch.finished`
event goes to its `callback_url` and to the endpoints that listen to that.
Whoever notices an event first creates its delivery: the dedupe key makes a
second notice (the upload call attaching a job the cache answered at once,
while the signal also saw it) a no-op.
"""

from __future__ import annotations

import logging
from collections import Counter

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from extraction.models import ExtractionJob

from .models import FINISHED, Delivery, Endpoint, Event, UploadBatch

log = logging.getLogger("cv2web.webhooks")


def _absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def job_data(job: ExtractionJob, batch: UploadBatch) -> dict:
    return {
        "id": str(job.pk),
        "status": job.state,
        "cached": job.cached,
        "error": job.error(),
        "batch": str(batch.pk) if batch.is_batch else None,
        "url": _absolute(reverse("api-extraction-detail", args=[job.pk])),
    }


def batch_data(batch: UploadBatch) -> dict:
    jobs = list(batch.jobs.order_by("created_at", "pk"))
    counts = Counter(job.state for job in jobs)
    return {
        "id": str(batch.pk),
        "counts": {state: counts.get(state, 0) for state in FINISHED},
        "jobs": [{"id": str(j.pk), "status": j.state, "error": j.error_code or None} for j in jobs],
        "url": _absolute(reverse("api-webhook-batch", args=[batch.pk])),
    }


def _envelope(event: str, data: dict) -> dict:
    # The Standard Webhooks payload shape: type, timestamp, data.
    return {"type": event, "timestamp": timezone.now().isoformat(), "data": data}


def _create(batch: UploadBatch, url: str, endpoint: Endpoint | None, event: str, key: str, payload):
    """A new pending delivery, or None when this occurrence already has one."""
    target = f"e:{endpoint.pk.hex}" if endpoint is not None else f"b:{batch.pk.hex}"
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                token_id=batch.token_id,
                endpoint=endpoint,
                batch=batch,
                url=url,
                event=event,
                payload=payload,
                dedupe_key=f"{target}:{key}"[:200],
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        return None


def _targets(batch: UploadBatch, event: str, endpoints: list[Endpoint]):
    for endpoint in endpoints:
        if event in endpoint.events:
            yield endpoint.url, endpoint
    to_callback = Event.BATCH_FINISHED if batch.is_batch else Event.JOB_FINISHED
    if batch.callback_url and event == to_callback:
        yield batch.callback_url, None


def announce(batch: UploadBatch, jobs: list[ExtractionJob]) -> list[Delivery]:
    """The events of `jobs` (ended, members of `batch`), and the batch's own
    when it has no job left running."""
    endpoints = list(Endpoint.objects.filter(token_id=batch.token_id).active())
    made: list[Delivery] = []
    for job in jobs:
        if job.state not in FINISHED or job.finished_at is None:
            continue
        key = f"job:{job.pk.hex}:{job.finished_at.timestamp()}"
        payload = _envelope(Event.JOB_FINISHED, job_data(job, batch))
        for url, endpoint in _targets(batch, Event.JOB_FINISHED, endpoints):
            delivery = _create(batch, url, endpoint, Event.JOB_FINISHED, key, payload)
            if delivery is not None:
                made.append(delivery)
    if batch.is_batch and not batch.unfinished_jobs().exists() and batch.mark_finished():
        payload = _envelope(Event.BATCH_FINISHED, batch_data(batch))
        for url, endpoint in _targets(batch, Event.BATCH_FINISHED, endpoints):
            delivery = _create(batch, url, endpoint, Event.BATCH_FINISHED, "batch", payload)
            if delivery is not None:
                made.append(delivery)
    return made


def send_soon(deliveries: list[Delivery]) -> None:
    """A first attempt for each, by a worker, once the rows are committed.
    (Should that never happen, the every-minute sweep finds them due.)"""
    ids = [str(d.pk) for d in deliveries]
    if not ids:
        return

    def submit() -> None:
        from django_q.tasks import async_task  # when used: it loads django_q's models

        for pk in ids:
            async_task("webhooks.tasks.deliver", pk, group="webhooks")

    transaction.on_commit(submit)


def jobs_finished(sender, job_ids, made_finished: bool = False, **kwargs) -> None:
    """extraction's `job_finished` listener: announce, then send each delivery.

    Jobs made already finished (a cache hit at upload, an import) belong to no
    upload call yet: the call links them after they are made
    (uploads.WebhookCallbacks.attach), and announces those that ended itself."""
    if made_finished:
        return
    # Most finished jobs belong to no upload call that asked to be told: one
    # look at the link table, not the joined and distinct query, for them
    # (every cache hit at upload comes here; issue 13).
    if not UploadBatch.jobs.through.objects.filter(extractionjob_id__in=job_ids).exists():
        return
    batches = UploadBatch.objects.filter(jobs__in=job_ids).distinct()
    if not batches:
        return
    jobs = {job.pk: job for job in ExtractionJob.objects.filter(pk__in=job_ids)}
    made = []
    for batch in batches:
        members = set(batch.jobs.filter(pk__in=job_ids).values_list("pk", flat=True))
        made += announce(batch, [jobs[pk] for pk in members if pk in jobs])
    send_soon(made)
