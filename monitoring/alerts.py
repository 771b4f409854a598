"""Alerts (SPEC M-3): thresholds checked on a schedule; an alert opens when its
condition holds, is mailed to ADMINS once when it opens, and resolves by
itself when the condition no longer holds."""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass

import psutil
from django.conf import settings
from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.utils import timezone

from extraction.models import ExtractionJob

from . import audit, heartbeat, schedules
from .models import Alert, JobRun
from .status import service_status

log = logging.getLogger("cv2web.monitoring")


@dataclass(frozen=True)
class Reading:
    key: str
    firing: bool
    value: float | None
    threshold: float | None
    message: str


def readings() -> list[Reading]:
    """Every threshold of SPEC M-3 this system can measure now."""
    return [*resource_readings(), worker_reading(), *job_readings()]


def resource_readings() -> list[Reading]:
    """Capacity, processing time, memory, queue and model quota."""
    status = service_status()
    out = []
    cap = status.capacity
    out.append(
        Reading(
            "capacity",
            cap.in_use >= settings.CAPACITY_WARN_AT,
            cap.in_use,
            settings.CAPACITY_WARN_AT,
            f"{cap.in_use} of {cap.limit} portfolio places in use "
            f"(alert from {settings.CAPACITY_WARN_AT}).",
        )
    )
    durations = ExtractionJob.objects.recent_durations(limit=20)
    avg = statistics.fmean(durations) if durations else 0.0
    out.append(
        Reading(
            "processing_time",
            avg > settings.ALERT_PROCESSING_TIME_S,
            round(avg, 1),
            settings.ALERT_PROCESSING_TIME_S,
            f"Extractions take {avg:.0f} s on average (alert above "
            f"{settings.ALERT_PROCESSING_TIME_S} s).",
        )
    )
    memory = psutil.virtual_memory().percent
    out.append(
        Reading(
            "memory",
            memory > settings.ALERT_MEMORY_PERCENT,
            memory,
            settings.ALERT_MEMORY_PERCENT,
            f"Memory use is {memory:.0f}% (alert above {settings.ALERT_MEMORY_PERCENT}%).",
        )
    )
    queue = status.extraction
    out.append(
        Reading(
            "queue_full",
            queue.full,
            queue.waiting,
            queue.max_waiting,
            f"The extraction queue is full ({queue.waiting} waiting); uploads are refused.",
        )
    )
    quota = model_quota_left()
    if quota is not None:
        out.append(
            Reading(
                "model_quota",
                quota < settings.ALERT_MODEL_QUOTA_PERCENT,
                round(quota, 1),
                settings.ALERT_MODEL_QUOTA_PERCENT,
                f"{quota:.0f}% of the model API's rate limit is left (alert below "
                f"{settings.ALERT_MODEL_QUOTA_PERCENT}%).",
            )
        )
    return out


def worker_reading(now=None) -> Reading:
    """No worker heartbeat for WORKER_HEARTBEAT_MAX_AGE_S: the workers are down."""
    age = heartbeat.age_seconds(now)
    limit = settings.WORKER_HEARTBEAT_MAX_AGE_S
    if age is None:
        message = "No background worker has ever reported; extractions and scheduled jobs wait."
    else:
        message = (
            f"No background worker has reported for {age:.0f} s (alert after {limit} s); "
            "extractions and scheduled jobs wait."
        )
    return Reading("worker", age is None or age > limit, age, limit, message)


def job_readings(now=None) -> list[Reading]:
    """One reading per scheduled job: its last real run failed, or it is late."""
    now = now or timezone.now()
    next_runs = schedules.next_slots()
    out = []
    # Read from the module when called: tests register jobs of their own.
    for job in schedules.SCHEDULES:
        last = (
            JobRun.objects.filter(
                job=job.name,
                dry_run=False,
                outcome__in=[JobRun.RunOutcome.SUCCEEDED, JobRun.RunOutcome.FAILED],
            )
            .order_by("-started_at")
            .only("outcome", "started_at", "error")
            .first()
        )
        due = next_runs.get(job.name)
        failed = last is not None and last.outcome == JobRun.RunOutcome.FAILED
        late = schedules.is_late(due, now)
        if failed:
            message = (
                f'The scheduled job "{job.name}" failed at '
                f"{last.started_at:%Y-%m-%d %H:%M} UTC: {last.error[:200]}"
            )
        elif late:
            minutes = (now - due).total_seconds() / 60
            message = (
                f'The scheduled job "{job.name}" is {minutes:.0f} minutes late '
                "(are the workers running?)."
            )
        else:
            message = f'The scheduled job "{job.name}" runs on time.'
        out.append(
            Reading(
                f"job:{job.command}",
                failed or late,
                None if due is None else round((now - due).total_seconds(), 1),
                settings.ALERT_JOB_LATE_MINUTES * 60.0,
                message,
            )
        )
    return out


def model_quota_left() -> float | None:
    """Percent of requests left, from the last recorded anthropic-ratelimit headers."""
    headers = (
        ExtractionJob.objects.exclude(ratelimit={})
        .order_by("-finished_at")
        .values_list("ratelimit", flat=True)
        .first()
    )
    try:
        left = float(headers["anthropic-ratelimit-requests-remaining"])
        limit = float(headers["anthropic-ratelimit-requests-limit"])
    except (TypeError, KeyError, ValueError):
        return None
    return 100.0 * left / limit if limit else None


def evaluate(current_readings: list[Reading] | None = None, now=None) -> dict[str, int]:
    """Open, keep or resolve one alert per reading; mail ADMINS on opening."""
    now = now or timezone.now()
    stats = {"opened": 0, "resolved": 0, "open": 0}
    for r in readings() if current_readings is None else current_readings:
        current = Alert.objects.open().filter(key=r.key).first()
        if r.firing and current is None:
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        key=r.key,
                        message=r.message,
                        value=r.value,
                        threshold=r.threshold,
                        opened_at=now,
                    )
            except IntegrityError:
                continue  # another check opened it at the same moment
            stats["opened"] += 1
            _notify(alert)
        elif r.firing:
            Alert.objects.filter(pk=current.pk).update(message=r.message, value=r.value)
        elif current is not None:
            Alert.objects.filter(pk=current.pk, resolved_at__isnull=True).update(resolved_at=now)
            stats["resolved"] += 1
    stats["open"] = Alert.objects.open().count()
    return stats


def _notify(alert: Alert) -> None:
    try:
        mail_admins(f"Alert: {alert.key}", alert.message, fail_silently=False)
    except Exception:  # noqa: BLE001 - an unreachable mail server must not stop the check
        log.exception("could not mail the %s alert", alert.key)
        return
    Alert.objects.filter(pk=alert.pk).update(notified=True)
    audit.record(
        "alert.opened",
        category=audit.Category.SYSTEM,
        obj=alert,
        details={"key": alert.key, "value": alert.value},
    )
