"""What happened and how the system is: audit log, alerts, metrics, job runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditLog(models.Model):
    """Who did what, on what, when (SPEC M-1)."""

    class Category(models.TextChoices):
        SECURITY = "security", "Security"
        ACTIVITY = "activity", "User activity"
        SYSTEM = "system", "System"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    category = models.CharField(max_length=10, choices=Category.choices, default=Category.ACTIVITY)
    action = models.CharField(max_length=60, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    ip = models.CharField(max_length=64, blank=True)
    session_key = models.CharField(max_length=40, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["category", "created_at"], name="audit_category_time")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"


class AlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)


class Alert(models.Model):
    """A threshold crossed (SPEC M-3): opens and resolves by itself."""

    key = models.CharField(max_length=60, db_index=True)
    message = models.CharField(max_length=300)
    value = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    notified = models.BooleanField(default=False, help_text="ADMINS were mailed.")

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            # At most one open alert per key, however many checks run at once.
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_alert_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class MetricSampleQuerySet(models.QuerySet):
    def since(self, when):
        return self.filter(taken_at__gte=when).order_by("taken_at")


class MetricSample(models.Model):
    """One reading of the ResourceMetrics (SPEC M-2), taken every few minutes."""

    taken_at = models.DateTimeField(default=timezone.now, db_index=True)
    active_portfolios = models.PositiveIntegerField(default=0)
    total_created = models.PositiveIntegerField(default=0)
    total_cleaned = models.PositiveIntegerField(default=0)
    average_lifetime_hours = models.FloatField(null=True, blank=True)
    extraction_success_rate = models.FloatField(
        null=True, blank=True, help_text="Share of finished extractions that succeeded, 0..1."
    )
    average_processing_seconds = models.FloatField(null=True, blank=True)
    queue_depth = models.PositiveIntegerField(default=0)
    cache_hit_rate = models.FloatField(null=True, blank=True, help_text="0..1")
    memory_percent = models.FloatField(null=True, blank=True)
    cpu_percent = models.FloatField(null=True, blank=True)
    disk_percent = models.FloatField(null=True, blank=True)
    model_quota_percent = models.FloatField(
        null=True, blank=True, help_text="Model API requests left, in percent of the limit."
    )

    objects = MetricSampleQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        return f"metrics at {self.taken_at:%Y-%m-%d %H:%M}"


class JobRun(models.Model):
    """One run of a scheduled job (SPEC M-4): start, end, outcome, statistics."""

    class RunOutcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (still running)"

    job = models.CharField(max_length=60)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=10, choices=RunOutcome.choices, default=RunOutcome.RUNNING
    )
    dry_run = models.BooleanField(default=False)
    stats = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    host = models.CharField(max_length=100, blank=True, help_text="host:pid that ran it")

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["job", "-started_at"], name="jobrun_job_started"),
            models.Index(fields=["started_at"], name="jobrun_started"),
        ]
        constraints = [
            # A job never runs twice at once: a second start while one is
            # running fails here, whatever the number of workers or machines.
            # Dry runs change nothing and never hold the slot.
            models.UniqueConstraint(
                fields=["job"],
                condition=models.Q(outcome="running", dry_run=False),
                name="one_running_run_per_job",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class WorkerHeartbeat(models.Model):
    """The last sign of life of one worker process (read by /readyz)."""

    name = models.CharField(max_length=100, unique=True, help_text="host:pid")
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%H:%M:%S}"


class Dashboard(MetricSample):
    """The staff dashboard's entry in the admin index (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "dashboard"
        verbose_name_plural = "dashboard"
        # Every staff member may look; running a job by hand is granted.
        default_permissions = ()
        permissions = [("run_job", "Can run a scheduled job by hand")]
