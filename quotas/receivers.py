"""Quotas listen to extraction: an allowance comes back when the system,
not the file, kept a job from finishing (or the person cancelled it)."""

from __future__ import annotations

from django.dispatch import receiver

from extraction.models import ExtractionJob
from extraction.signals import job_not_done

from .models import DailyUsage


@receiver(job_not_done, dispatch_uid="quotas-give-back")
def give_back_allowance(sender, job: ExtractionJob, **kwargs) -> None:
    if not job.quota_subject or job.quota_day is None:
        return
    # Clear the job's claim first, conditionally, so that it is given back once.
    if ExtractionJob.objects.filter(pk=job.pk, quota_subject=job.quota_subject).update(
        quota_subject=""
    ):
        DailyUsage.objects.give_back(job.quota_subject, job.quota_day)
