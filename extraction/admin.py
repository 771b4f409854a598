"""Staff tools for extraction: the queue, the cache, the documents."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.html import format_html

from monitoring import audit

from . import batches, queue
from .crypto import DecryptionError
from .extractors import configured_name, get_extractor
from .models import CacheEntry, Document, ExtractionJob, JobState, ModelBatch


@admin.register(ExtractionJob)
class ExtractionJobAdmin(admin.ModelAdmin):
    list_display = (
        "short_id",
        "position",
        "state",
        "priority",
        "document_name",
        "owner",
        "extractor",
        "extractor_used",
        "mode",
        "batch_state",
        "attempts",
        "cached",
        "cost_usd",
        "enqueued_at",
        "duration",
    )
    list_filter = (
        "state",
        "priority",
        "mode",
        "batch_state",
        "extractor",
        "extractor_used",
        "cached",
        "via",
    )
    search_fields = (
        "id",
        "document__original_name",
        "document__sha256",
        "owner__username",
        "client",
        "batch__provider_id",
    )
    list_select_related = ("document", "owner")
    readonly_fields = [f.name for f in ExtractionJob._meta.fields]
    actions = ["retry_jobs", "cancel_jobs", "move_jobs_to_front"]
    list_per_page = 50

    def get_queryset(self, request):
        # Queue order: waiting first by priority and age, then running, then the rest.
        rank = Case(
            When(state=JobState.QUEUED, then=Value(0)),
            When(state=JobState.RUNNING, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return (
            super()
            .get_queryset(request)
            # Decrypted only where shown (the job's own page), not 50 per list page.
            .defer("result")
            .annotate(queue_rank=rank)
            .order_by("queue_rank", "priority", "enqueued_at", "-finished_at")
        )

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        # One query gives every waiting job its position.
        ids = ExtractionJob.objects.waiting().in_queue_order().values_list("pk", flat=True)
        self._positions = {pk: i + 1 for i, pk in enumerate(ids)}
        return super().changelist_view(request, extra_context)

    @admin.display(description="Job")
    def short_id(self, job):
        return str(job.pk)[:8]

    @admin.display(description="Position")
    def position(self, job):
        if job.state == JobState.RUNNING:
            return "in a model batch" if job.batch_state == "submitted" else "running"
        return getattr(self, "_positions", {}).get(job.pk, "–")

    @admin.display(description="Document")
    def document_name(self, job):
        return job.document.original_name

    @admin.display(description="Time")
    def duration(self, job):
        return f"{job.duration_ms / 1000:.1f} s" if job.duration_ms else "–"

    @admin.action(description="Retry selected failed or cancelled jobs")
    def retry_jobs(self, request, qs):
        n = sum(queue.retry_now(job, actor=request.user) for job in qs)
        self.message_user(request, f"{n} job(s) queued again.", messages.SUCCESS)

    @admin.action(description="Cancel selected queued jobs")
    def cancel_jobs(self, request, qs):
        n = sum(queue.cancel(job, actor=request.user) for job in qs)
        self.message_user(request, f"{n} job(s) cancelled.", messages.SUCCESS)

    @admin.action(description="Move selected queued jobs to the front")
    def move_jobs_to_front(self, request, qs):
        n = sum(queue.move_to_front(job, actor=request.user) for job in qs)
        self.message_user(request, f"{n} job(s) moved to the front.", messages.SUCCESS)


@admin.register(CacheEntry)
class CacheEntryAdmin(admin.ModelAdmin):
    list_display = (
        "short_hash",
        "extractor",
        "model",
        "hits",
        "size",
        "created_at",
        "last_hit_at",
        "expires_at",
        "live",
        "current",
    )
    list_filter = ("extractor", "model")
    search_fields = ("sha256", "key")
    readonly_fields = [f.name for f in CacheEntry._meta.fields if f.name != "result"] + [
        "result_document"
    ]
    # Shown decrypted by result_document; never a form field.
    exclude = ("result",)
    actions = ["invalidate", "reextract_in_background"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        # The result is encrypted at rest: decrypt it only on an entry's own
        # page, never for every row of the list.
        return super().get_queryset(request).defer("result")

    @admin.display(description="Result (JSON Resume)")
    def result_document(self, entry):
        try:
            value = entry.result
        except DecryptionError:
            return "None of the configured ENCRYPTION_KEYS opens this entry."
        return format_html(
            '<pre class="cv2web-json">{}</pre>', json.dumps(value, ensure_ascii=False, indent=2)
        )

    @admin.display(description="SHA-256")
    def short_hash(self, entry):
        return entry.sha256[:16]

    @admin.display(description="Size")
    def size(self, entry):
        return f"{entry.size_bytes / 1024:.1f} KB"

    @admin.display(description="Live", boolean=True)
    def live(self, entry):
        return entry.expires_at > timezone.now()

    @admin.action(description="Invalidate selected cache entries")
    def invalidate(self, request, qs):
        n = qs.update(expires_at=timezone.now())
        audit.record(
            "cache.invalidated",
            category=audit.Category.SECURITY,
            actor=request.user,
            details={"count": n},
        )
        self.message_user(request, f"{n} cache entr(ies) invalidated.", messages.SUCCESS)

    @admin.action(description="Re-extract selected entries in background mode (current model)")
    def reextract_in_background(self, request, qs):
        _report_reextraction(self, request, batches.reextract_entries(qs, actor=request.user))

    @admin.display(description="Current", boolean=True)
    def current(self, entry):
        return entry.fingerprint == _current_fingerprint()


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "kind",
        "size_kb",
        "pages",
        "owner",
        "client",
        "created_at",
        "jobs_link",
    )
    list_filter = ("kind",)
    search_fields = ("original_name", "sha256", "owner__username", "client")
    list_select_related = ("owner",)
    readonly_fields = [f.name for f in Document._meta.fields]
    actions = ["reextract_in_background"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Re-extract selected documents in background mode (current model)")
    def reextract_in_background(self, request, qs):
        _report_reextraction(self, request, batches.reextract(list(qs), actor=request.user))

    @admin.display(description="Size")
    def size_kb(self, doc):
        return f"{doc.size / 1024:.0f} KB"

    @admin.display(description="Jobs")
    def jobs_link(self, doc):
        return format_html('<a href="../extractionjob/?q={}">jobs</a>', doc.pk)


def _current_fingerprint() -> str:
    return get_extractor(configured_name()).fingerprint()


def _report_reextraction(model_admin, request, out: batches.Reextraction) -> None:
    skipped = []
    if out.already_current:
        skipped.append(f"{out.already_current} already extracted by the current model")
    if out.expired:
        skipped.append(f"{out.expired} past retention")
    if out.file_missing:
        skipped.append(f"{out.file_missing} whose uploaded file no longer exists")
    if out.queue_full:
        skipped.append(f"{out.queue_full} refused: the background queue is full")
    text = f"{out.queued} document(s) queued for re-extraction in background mode."
    if skipped:
        text += " Skipped: " + "; ".join(skipped) + "."
    level = messages.SUCCESS if out.queued or not skipped else messages.WARNING
    model_admin.message_user(request, text, level)


@admin.register(ModelBatch)
class ModelBatchAdmin(admin.ModelAdmin):
    """Message Batches API batches (background mode): read-only."""

    list_display = (
        "__str__",
        "state",
        "size",
        "counts_summary",
        "created_at",
        "submitted_at",
        "ended_at",
        "jobs_link",
    )
    list_filter = ("state",)
    search_fields = ("provider_id", "id")
    readonly_fields = [f.name for f in ModelBatch._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Results")
    def counts_summary(self, batch):
        counts = batch.counts or {}
        return ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "–"

    @admin.display(description="Jobs")
    def jobs_link(self, batch):
        return format_html('<a href="../extractionjob/?q={}">jobs</a>', batch.provider_id or "")
