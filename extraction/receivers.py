"""What extraction tells the apps below it (connected in ExtractionConfig.ready):
quotas learn who is a returning visitor, and get an allowance back when the
system, not the file, kept a job from finishing (or the person cancelled it).
Extraction listens to itself too: an uploaded file is deleted once its
extraction succeeded, when the person chose so (the default)."""

from __future__ import annotations

from quotas import policy

from .models import Document, ExtractionJob, JobState
from .signals import job_finished, job_not_done


def has_had_a_result(user, client: str) -> bool:
    """A returning visitor: an earlier successful extraction (SPEC E-5)."""
    return ExtractionJob.objects.succeeded_for(user, client).exists()


def give_back_allowance(sender, job: ExtractionJob, **kwargs) -> None:
    """`job_not_done` receiver: return the job's daily allowance, once."""
    if not job.quota_subject or job.quota_day is None:
        return
    # Clear the job's claim first, conditionally, so that it is given back once.
    if ExtractionJob.objects.filter(pk=job.pk, quota_subject=job.quota_subject).update(
        quota_subject=""
    ):
        policy.give_back(job.quota_subject, job.quota_day)


def drop_extracted_uploads(sender, job_ids: list, jobs: list | None = None, **kwargs) -> None:
    """`job_finished` receiver (after the commit): every path to a result (a
    run, a cache hit at upload, a joined job, a model batch, a JSON Resume
    import) ends here, so the file goes whichever way the result came. A
    failed job's file is kept whole, for a retry. Given the jobs themselves
    (a cache hit at upload), what the query would look for is read from them:
    a hit's file to delete was never written, so most hits ask nothing."""
    if jobs is not None and not any(_has_a_file_to_drop(job) for job in jobs):
        return
    Document.drop_extracted_files(job_ids)


def _has_a_file_to_drop(job) -> bool:
    """What Document.drop_extracted_files selects, for one job at hand."""
    document = job.document
    return (
        job.state == JobState.SUCCEEDED
        and document.delete_after_extraction
        and document.file_deleted_at is None
    )


def connect() -> None:
    policy.register_returning_check(has_had_a_result)
    job_not_done.connect(give_back_allowance, dispatch_uid="quotas-give-back")
    job_finished.connect(drop_extracted_uploads, dispatch_uid="extraction-drop-uploads")
