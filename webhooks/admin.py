"""Staff tools for webhooks: every delivery with its attempts, a retry action
(and a retry button on a delivery's page), endpoints with a disable action.
Secrets are never shown."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from monitoring import audit

from . import events
from .models import Attempt, Delivery, DeliveryState, Endpoint, UploadBatch


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "duration_ms", "status", "error", "address", "excerpt")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


def _retry(request, deliveries) -> int:
    retried = [d for d in deliveries if d.retry_now()]
    for delivery in retried:
        audit.record(
            "webhook.retried_by_staff",
            category=audit.Category.SECURITY,
            request=request,
            obj=delivery,
        )
    events.send_soon(retried)
    return len(retried)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "short_id",
        "event",
        "target",
        "owner",
        "state_badge",
        "attempts",
        "last_status",
        "last_error",
        "created_at",
        "next_attempt_at",
    )
    list_filter = ("state", "event", "last_error", "created_at")
    search_fields = ("id", "url", "token__user__username", "token__key_prefix")
    list_select_related = ("token__user",)
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["retry_deliveries"]
    date_hierarchy = "created_at"
    list_per_page = 100
    change_form_template = "admin/webhooks/delivery/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Delivery")
    def short_id(self, delivery):
        return str(delivery.pk)[:8]

    @admin.display(description="URL", ordering="url")
    def target(self, delivery):
        return delivery.url if len(delivery.url) <= 60 else delivery.url[:57] + "…"

    @admin.display(description="Owner", ordering="token__user__username")
    def owner(self, delivery):
        return delivery.token.user

    @admin.display(description="State", ordering="state")
    def state_badge(self, delivery):
        colour = {
            DeliveryState.DELIVERED: "#1a7f37",
            DeliveryState.FAILED: "#b42318",
        }.get(delivery.state, "#555")
        return format_html(
            '<strong style="color:{}">{}</strong>', colour, delivery.get_state_display()
        )

    @admin.action(description="Retry selected deliveries now", permissions=["view"])
    def retry_deliveries(self, request, queryset):
        count = _retry(request, list(queryset))
        self.message_user(
            request, f"{count} deliver{'y' if count == 1 else 'ies'} queued.", messages.SUCCESS
        )

    def get_urls(self):
        retry = self.admin_site.admin_view(self.retry_view)
        return [
            path("<uuid:pk>/retry/", retry, name="webhooks_delivery_retry"),
            *super().get_urls(),
        ]

    def retry_view(self, request, pk):
        """The retry button of a delivery's page (POST only)."""
        delivery = Delivery.objects.filter(pk=pk).first()
        page = reverse("admin:webhooks_delivery_change", args=[pk])
        if request.method != "POST" or delivery is None or not self.has_view_permission(request):
            return HttpResponseRedirect(page)
        if _retry(request, [delivery]):
            self.message_user(request, "Delivery queued for another attempt.", messages.SUCCESS)
        else:
            self.message_user(request, "This delivery was already delivered.", messages.WARNING)
        return HttpResponseRedirect(page)


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "owner", "events", "created_at", "disabled_at")
    list_filter = (("disabled_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("url", "token__user__username", "token__key_prefix")
    list_select_related = ("token__user",)
    readonly_fields = ("token", "url", "events", "description", "created_at", "disabled_at")
    actions = ["disable_endpoints"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Owner", ordering="token__user__username")
    def owner(self, endpoint):
        return endpoint.token.user

    @admin.action(description="Disable selected endpoints", permissions=["change"])
    def disable_endpoints(self, request, queryset):
        done = 0
        for endpoint in queryset:
            if endpoint.disable():
                done += 1
                audit.record(
                    "webhook.endpoint_disabled_by_staff",
                    category=audit.Category.SECURITY,
                    request=request,
                    obj=endpoint,
                )
        self.message_user(request, f"{done} endpoint(s) disabled.", messages.SUCCESS)


@admin.register(UploadBatch)
class UploadBatchAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "is_batch", "callback_url", "created_at", "finished_at")
    list_filter = ("is_batch", ("finished_at", admin.EmptyFieldListFilter))
    search_fields = ("id", "token__user__username", "callback_url")
    list_select_related = ("token__user",)
    readonly_fields = ("token", "is_batch", "callback_url", "created_at", "finished_at")
    exclude = ("jobs",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Owner", ordering="token__user__username")
    def owner(self, batch):
        return batch.token.user
