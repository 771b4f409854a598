"""Retention jobs (SPEC M-1, M-4): data kept exactly as long as the policy says.

Every deletion runs in bounded batches (cv2web.batches.BatchDeleter), each its
own short statement, so a backlog of a million rows never holds a long lock or
a huge transaction.
Each job takes `dry_run` and returns its statistics; a real run leaves one
audit row (category system) saying what it deleted.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import models
from django.utils import timezone
from django_q.models import Task

from cv2web.batches import BatchDeleter
from extraction.models import Document
from portfolios import sandbox

from . import audit
from .models import Alert, AuditLog, JobRun, MetricSample

Category = AuditLog.Category


def audit_retention_days() -> dict[str, int]:
    """Days each audit category is kept."""
    return {
        Category.SECURITY: settings.AUDIT_SECURITY_RETENTION_DAYS,
        Category.ACTIVITY: settings.AUDIT_LOG_RETENTION_DAYS,
        Category.SYSTEM: settings.AUDIT_SYSTEM_RETENTION_DAYS,
    }


def _record(action: str, stats: dict) -> None:
    audit.record(action, category=Category.SYSTEM, details=stats)


def purge_audit_log(dry_run: bool = False, now=None) -> dict:
    """Delete audit rows older than their category's retention."""
    now = now or timezone.now()
    deleter = BatchDeleter()
    counts = {}
    for category, days in audit_retention_days().items():
        expired = AuditLog.objects.filter(
            category=category, created_at__lt=now - timedelta(days=days)
        )
        counts[str(category)] = expired.count() if dry_run else deleter.delete(expired)
    if dry_run:
        return {**counts, "would_delete": sum(counts.values())}
    stats = {**counts, "deleted": sum(counts.values()), **deleter.stats()}
    _record("retention.audit_log", stats)
    return stats


def purge_history(dry_run: bool = False, now=None) -> dict:
    """Delete old metric samples, job runs, resolved alerts and task records."""
    now = now or timezone.now()
    history_cutoff = now - timedelta(days=settings.METRICS_RETENTION_DAYS)
    targets = {
        "metric_samples": MetricSample.objects.filter(taken_at__lt=history_cutoff),
        "job_runs": JobRun.objects.filter(
            started_at__lt=now - timedelta(days=settings.JOB_RUN_RETENTION_DAYS)
        ).exclude(outcome=JobRun.RunOutcome.RUNNING),
        "alerts": Alert.objects.filter(resolved_at__lt=history_cutoff),
        # django-q2 prunes successes only by count (save_limit) and failures
        # never (docs/traps.md).
        "task_records": Task.objects.filter(
            stopped__lt=now - timedelta(days=settings.TASK_RECORD_RETENTION_DAYS)
        ),
    }
    deleter = BatchDeleter()
    stats = {name: (qs.count() if dry_run else deleter.delete(qs)) for name, qs in targets.items()}
    if dry_run:
        return {f"would_delete_{k}": v for k, v in stats.items()}
    stats.update(deleter.stats())
    _record("retention.history", stats)
    return stats


def inactive_sessions(now=None) -> models.QuerySet:
    """Sessions untouched for SESSION_RETENTION_DAYS (or already expired).

    Django stores only the expiry, set to the last save plus
    SESSION_COOKIE_AGE, so the last save is `expire_date - SESSION_COOKIE_AGE`.
    """
    now = now or timezone.now()
    last_save_before = now - timedelta(days=settings.SESSION_RETENTION_DAYS)
    cutoff = max(now, last_save_before + timedelta(seconds=settings.SESSION_COOKIE_AGE))
    return Session.objects.filter(expire_date__lt=cutoff)


def purge_sessions(dry_run: bool = False, now=None) -> dict:
    """Delete Django sessions inactive for SESSION_RETENTION_DAYS."""
    sessions = inactive_sessions(now)
    if dry_run:
        return {"would_delete": sessions.count()}
    deleter = BatchDeleter()
    stats = {"deleted": deleter.delete(sessions), **deleter.stats()}
    _record("retention.sessions", stats)
    return stats


def _files_older_than(folder: Path, cutoff: float):
    if not folder.is_dir():
        return
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                yield path
        except OSError:
            continue  # removed meanwhile


def orphaned_uploads(now=None) -> list[Path]:
    """Upload files older than ORPHAN_UPLOAD_RETENTION_DAYS that no Document names."""
    now = now or timezone.now()
    cutoff = (now - timedelta(days=settings.ORPHAN_UPLOAD_RETENTION_DAYS)).timestamp()
    root = Path(settings.UPLOAD_DIR)
    old = {p.relative_to(root).as_posix(): p for p in _files_older_than(root, cutoff)}
    if not old:
        return []
    known = set()
    names = list(old)
    for i in range(0, len(names), 500):
        known.update(
            Document.objects.filter(storage_name__in=names[i : i + 500]).values_list(
                "storage_name", flat=True
            )
        )
    return [path for name, path in old.items() if name not in known]


def stale_temporary_files(now=None) -> list[Path]:
    """Temporary files older than TMP_FILE_RETENTION_HOURS (an upload in flight is younger)."""
    now = now or timezone.now()
    cutoff = (now - timedelta(hours=settings.TMP_FILE_RETENTION_HOURS)).timestamp()
    return list(_files_older_than(Path(settings.TMP_DIR), cutoff))


def purge_files(dry_run: bool = False, now=None) -> dict:
    """Delete orphaned upload files, stale temporary files, and sandbox
    folders no live portfolio owns (left by a crash or a race with an erase)."""
    uploads = orphaned_uploads(now)
    temporary = stale_temporary_files(now)
    if dry_run:
        return {
            "would_delete_uploads": len(uploads),
            "would_delete_tmp": len(temporary),
            "would_delete_sandboxes": sandbox.remove_orphans(dry_run=True),
        }
    stats = {"uploads": 0, "tmp": 0, "bytes": 0, "sandboxes": sandbox.remove_orphans()}
    for key, paths in (("uploads", uploads), ("tmp", temporary)):
        for path in paths:
            try:
                size = path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                continue
            stats[key] += 1
            stats["bytes"] += size
    if stats["uploads"] or stats["tmp"] or stats["sandboxes"]:
        _record("retention.files", stats)
    return stats
