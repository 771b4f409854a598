"""Staff tools for monitoring: the dashboard, and read-only views of the audit
log, alerts, job runs, metric samples and worker heartbeats.

The dashboard is the changelist of a proxy model (`Dashboard`): that gives it
an entry under "Monitoring" on the admin index, breadcrumbs and the sidebar
with no template override of the index, and a permission of its own for the
one thing it changes ("run now").
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.timesince import timesince

from . import audit, dashboard, jobs
from .models import Alert, AuditLog, Dashboard, JobRun, MetricSample, WorkerHeartbeat
from .schedules import BY_NAME, SCHEDULES

STYLES = {"all": ["css/admin-dashboard.css"]}


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: looked at, never written by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- The dashboard -------------------------------------------------------------


@admin.register(Dashboard)
class DashboardAdmin(ReadOnlyAdmin):
    def _is_staff(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    # Every staff member may look at the dashboard.
    def has_module_permission(self, request):
        return self._is_staff(request)

    def has_view_permission(self, request, obj=None):
        return self._is_staff(request)

    def get_urls(self):
        # Only the dashboard and its "run now" form: the proxy's add, change
        # and history pages would only repeat the MetricSample admin.
        view = self.admin_site.admin_view
        return [
            path("", view(self.changelist_view), name="monitoring_dashboard_changelist"),
            path("run/", view(self.run_job_view), name="monitoring_dashboard_run"),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            **dashboard.build(request.GET.get("range")),
            "title": "Monitoring dashboard",
            "opts": self.opts,
            "can_run_jobs": request.user.has_perm("monitoring.run_job"),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/monitoring/dashboard.html", context)

    def run_job_view(self, request):
        """Run one scheduled job now, in this request, and record it like any run."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("monitoring.run_job"):
            raise PermissionDenied
        url = reverse("admin:monitoring_dashboard_changelist", current_app=self.admin_site.name)
        url += "?" + urlencode({"range": dashboard.parse_range(request.POST.get("range"))})
        name = request.POST.get("job", "")
        if name not in BY_NAME:
            self.message_user(request, "There is no scheduled job of that name.", messages.ERROR)
            return HttpResponseRedirect(url)

        record = jobs.run(name, raise_errors=False)
        audit.record(
            "admin.job.run",
            category=audit.Category.SECURITY,
            request=request,
            obj=record,
            details={"job": name, "outcome": record.outcome},
        )
        if record.outcome == JobRun.RunOutcome.SUCCEEDED:
            summary = ", ".join(f"{k}: {v}" for k, v in dashboard.stat_items(record.stats))
            self.message_user(
                request, f"“{name}” ran: {summary or 'no statistics'}.", messages.SUCCESS
            )
        elif record.outcome == JobRun.RunOutcome.SKIPPED:
            self.message_user(
                request, f"“{name}” is already running; it was not started again.", messages.WARNING
            )
        else:
            self.message_user(request, f"“{name}” failed: {record.error}", messages.ERROR)
        return HttpResponseRedirect(url)


# --- The audit log -------------------------------------------------------------


class ActorKindFilter(admin.SimpleListFilter):
    """Three kinds of actor instead of one line per user (there may be thousands)."""

    title = "who"
    parameter_name = "who"

    def lookups(self, request, model_admin):
        return [
            ("staff", "Staff"),
            ("users", "Signed-in users (not staff)"),
            ("nobody", "No user (visitors and the system)"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "staff":
            return queryset.filter(actor__is_staff=True)
        if self.value() == "users":
            return queryset.filter(actor__isnull=False, actor__is_staff=False)
        if self.value() == "nobody":
            return queryset.filter(actor__isnull=True)
        return queryset


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "category",
        "action",
        "actor_link",
        "ip",
        "object_type",
        "object_id",
    )
    list_filter = ("category", ActorKindFilter, "action", "created_at")
    search_fields = ("action", "object_id", "^actor__username", "ip")
    search_help_text = "Action, object id, the start of a user name, or an IP address."
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    readonly_fields = [f.name for f in AuditLog._meta.fields]
    # The table holds up to a year of rows: skip the second, unfiltered count.
    show_full_result_count = False

    @admin.display(description="User", ordering="actor__username")
    def actor_link(self, entry: AuditLog):
        if entry.actor is None:
            return "–"
        return format_html(
            '<a href="?{}" title="Only this user">{}</a>',
            urlencode({"actor__id__exact": entry.actor_id}),
            entry.actor.get_username(),
        )


# --- Alerts --------------------------------------------------------------------


class AlertStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("key", "message", "opened_at", "resolved_at", "is_open", "notified")
    list_filter = (AlertStateFilter, "key")
    search_fields = ("key", "message")
    date_hierarchy = "opened_at"
    readonly_fields = [f.name for f in Alert._meta.fields]

    @admin.display(description="Open", boolean=True)
    def is_open(self, alert):
        return alert.resolved_at is None

    def has_add_permission(self, request):
        return False


# --- Job runs, samples, heartbeats -----------------------------------------------


class JobFilter(admin.SimpleListFilter):
    """The registered jobs, from SCHEDULES (no DISTINCT over the whole table)."""

    title = "job"
    parameter_name = "job"

    def lookups(self, request, model_admin):
        return [(job.name, job.name) for job in SCHEDULES]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(job=self.value())
        return queryset


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ("job", "started_at", "duration", "outcome_label", "dry_run", "statistics")
    list_filter = (JobFilter, "outcome", "dry_run")
    search_fields = ("job", "error", "host")
    date_hierarchy = "started_at"
    readonly_fields = (
        "job",
        "started_at",
        "finished_at",
        "duration",
        "outcome",
        "dry_run",
        "pretty_stats",
        "error",
        "host",
    )
    fields = readonly_fields
    show_full_result_count = False

    class Media:
        css = STYLES

    @admin.display(description="Duration")
    def duration(self, run: JobRun):
        if run.finished_at is None:
            return "still running"
        return dashboard.human_duration(run.duration_seconds)

    @admin.display(description="Outcome", ordering="outcome")
    def outcome_label(self, run: JobRun):
        return format_html(
            '<span class="outcome outcome-{}">{}</span>', run.outcome, run.get_outcome_display()
        )

    @admin.display(description="Statistics")
    def statistics(self, run: JobRun):
        items = dashboard.stat_items(run.stats, limit=5)
        if not items:
            return format_html('<span class="quiet">{}</span>', run.error[:80] or "–")
        return format_html_join(", ", "{}: {}", items)

    @admin.display(description="Statistics")
    def pretty_stats(self, run: JobRun):
        return format_html("<pre>{}</pre>", json.dumps(run.stats, indent=2, sort_keys=True))


@admin.register(MetricSample)
class MetricSampleAdmin(ReadOnlyAdmin):
    list_display = (
        "taken_at",
        "active_portfolios",
        "queue_depth",
        "average_processing_seconds",
        "success_rate",
        "cache_rate",
        "memory_percent",
        "cpu_percent",
        "disk_percent",
        "model_quota_percent",
    )
    date_hierarchy = "taken_at"
    show_full_result_count = False

    @admin.display(description="Extraction success", ordering="extraction_success_rate")
    def success_rate(self, sample: MetricSample):
        return _percent(sample.extraction_success_rate)

    @admin.display(description="Cache hits", ordering="cache_hit_rate")
    def cache_rate(self, sample: MetricSample):
        return _percent(sample.cache_hit_rate)


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("name", "seen_at", "age", "alive")
    search_fields = ("name",)

    @admin.display(description="Last seen")
    def age(self, beat: WorkerHeartbeat):
        return f"{timesince(beat.seen_at)} ago"

    @admin.display(description="Alive", boolean=True)
    def alive(self, beat: WorkerHeartbeat):
        age = (timezone.now() - beat.seen_at).total_seconds()
        return age <= settings.WORKER_HEARTBEAT_MAX_AGE_S
