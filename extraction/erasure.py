"""Erasing what extraction holds of one upload, for whoever erases what was made
from it (a portfolio's erase, SPEC P-7): extraction deletes its own rows."""

from __future__ import annotations

from .models import CacheEntry, ExtractionJob


def erase_documents_of(job: ExtractionJob) -> None:
    """Delete the document `job` read, every job of that document, the cached
    results of its content, and the stored file. Call inside the caller's
    transaction; the file goes last, once no row names it."""
    document = job.document
    ExtractionJob.objects.filter(document=document).delete()
    CacheEntry.objects.filter(sha256=document.sha256).delete()
    document.delete()
    document.delete_file()
