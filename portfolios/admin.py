"""Staff tools for portfolios: lifecycle actions, the waiting list, emergency mode."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from monitoring import audit

from . import lifecycle, publishing
from .links import public_url
from .models import CapacityControl, Portfolio, PortfolioRequest, RequestState, State


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = (
        "display_name",
        "state",
        "owner",
        "tier",
        "theme",
        "last_activity_at",
        "time_to_cleanup",
        "visits",
        "link",
    )
    list_filter = ("state", "tier", "theme", "overflow")
    search_fields = ("slug", "owner__username", "email", "client")
    list_select_related = ("owner",)
    readonly_fields = [f.name for f in Portfolio._meta.fields if f.name != "theme"]
    actions = ["keep_alive", "archive_now", "restore", "clean_up_now"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    @admin.display(description="Cleanup in")
    def time_to_cleanup(self, p: Portfolio):
        at = p.cleanup_at()
        if at is None:
            return "–"
        left = at - timezone.now()
        if left.total_seconds() <= 0:
            return "due"
        hours, rest = divmod(int(left.total_seconds()), 3600)
        return f"{hours} h {rest // 60} min"

    @admin.display(description="Public page")
    def link(self, p: Portfolio):
        return format_html('<a href="{}">{}</a>', public_url(p), p.slug)

    def _audit(self, request, action: str, count: int) -> None:
        audit.record(
            f"admin.portfolio.{action}",
            category=audit.Category.SECURITY,
            request=request,
            details={"count": count},
        )

    @admin.action(description="Keep selected portfolios online")
    def keep_alive(self, request, qs):
        n = sum(lifecycle.touch(p, actor=request.user) for p in qs)
        self._audit(request, "keep_alive", n)
        self.message_user(request, f"{n} portfolio(s) kept online.", messages.SUCCESS)

    @admin.action(description="Archive selected portfolios now")
    def archive_now(self, request, qs):
        n = sum(publishing.archive(p, actor=request.user) for p in qs)
        self._audit(request, "archive", n)
        self.message_user(request, f"{n} portfolio(s) archived.", messages.SUCCESS)

    @admin.action(description="Restore selected archived portfolios")
    def restore(self, request, qs):
        live = waiting = 0
        for p in qs.filter(state=State.ARCHIVED):
            out = publishing.restore(p, actor=request.user)
            waiting += out.waiting
            live += not out.waiting
        self._audit(request, "restore", live + waiting)
        self.message_user(
            request, f"{live} restored, {waiting} on the waiting list.", messages.SUCCESS
        )

    @admin.action(description="Clean up selected portfolios now (sandbox removed, data kept)")
    def clean_up_now(self, request, qs):
        self.archive_now(request, qs)


@admin.register(PortfolioRequest)
class PortfolioRequestAdmin(admin.ModelAdmin):
    list_display = (
        "display_name",
        "state",
        "position",
        "owner",
        "tier",
        "restore",
        "created_at",
        "published_at",
    )
    list_filter = ("state", "tier", "restore")
    list_select_related = ("owner",)
    readonly_fields = [f.name for f in PortfolioRequest._meta.fields]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("state", "created_at")

    def changelist_view(self, request, extra_context=None):
        ids = PortfolioRequest.objects.waiting().values_list("pk", flat=True)
        self._positions = {pk: i + 1 for i, pk in enumerate(ids)}
        return super().changelist_view(request, extra_context)

    @admin.display(description="Position")
    def position(self, r: PortfolioRequest):
        if r.state != RequestState.WAITING:
            return "–"
        return getattr(self, "_positions", {}).get(r.pk, "–")


@admin.register(CapacityControl)
class CapacityControlAdmin(admin.ModelAdmin):
    list_display = ("__str__", "emergency", "changed_at", "changed_by")
    fields = ("emergency", "changed_at", "changed_by")
    readonly_fields = ("changed_at", "changed_by")

    def has_add_permission(self, request):
        return not CapacityControl.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.changed_at, obj.changed_by = timezone.now(), request.user
        super().save_model(request, obj, form, change)
        audit.record(
            "admin.emergency_mode",
            category=audit.Category.SECURITY,
            request=request,
            details={"emergency": obj.emergency},
        )
        publishing.drain()
