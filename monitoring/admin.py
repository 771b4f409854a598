from django.contrib import admin

from .models import Alert, AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "category", "action", "actor", "ip", "object_type", "object_id")
    list_filter = ("category", "action", "created_at")
    search_fields = ("action", "object_id", "actor__username", "ip")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("key", "message", "opened_at", "resolved_at", "is_open", "notified")
    list_filter = ("key", ("resolved_at", admin.EmptyFieldListFilter))
    readonly_fields = [f.name for f in Alert._meta.fields]

    @admin.display(description="Open", boolean=True)
    def is_open(self, alert):
        return alert.resolved_at is None

    def has_add_permission(self, request):
        return False
