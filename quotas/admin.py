"""Staff tools for quotas: users with their tier and today's usage, usage rows, API tokens."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import CharField, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat

from monitoring import audit

from . import policy
from .models import Account, ApiToken, BurstCounter, DailyUsage, EmailAddress, Tier

User = get_user_model()

ACCOUNT_FIELDS = (
    "tier",
    "confirmed",
    "extractions_per_day",
    "active_portfolios",
    "retention_days",
    "note",
)


class AccountInline(admin.StackedInline):
    model = Account
    can_delete = False
    fields = ACCOUNT_FIELDS
    verbose_name = "Tier and limits"
    verbose_name_plural = "Tier and limits"
    extra = 1
    max_num = 1


def _audit_account_change(request, form) -> None:
    """A staff change to a tier or a limit is a security event."""
    changed = [f for f in form.changed_data if f in ACCOUNT_FIELDS and f != "note"]
    if not changed:
        return
    account = form.instance
    details = {
        "user": account.user.get_username(),
        "changes": {f: [form.initial.get(f), form.cleaned_data.get(f)] for f in changed},
        "note": account.note,
    }
    action = "account.tier_changed" if "tier" in changed else "account.limits_changed"
    audit.record(
        action, category=audit.Category.SECURITY, request=request, obj=account, details=details
    )


admin.site.unregister(User)


@admin.register(User)
class AccountUserAdmin(UserAdmin):
    list_display = (
        "username",
        "email",
        "tier",
        "extractions_today",
        "is_staff",
        "is_active",
        "date_joined",
        "last_login",
    )
    list_filter = ("account__tier", "account__confirmed", "is_staff", "is_superuser", "is_active")
    list_select_related = ("account",)
    inlines = [AccountInline]

    def get_queryset(self, request):
        # Today's count for every user of the page in the same query.
        used = DailyUsage.objects.filter(
            day=policy.today(),
            subject=Concat(Value("user:"), Cast(OuterRef("pk"), CharField())),
        ).values("extractions")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(
                extractions_used_today=Coalesce(Subquery(used), 0, output_field=IntegerField())
            )
        )

    def get_inline_instances(self, request, obj=None):
        # On the add page the post_save signal creates the Account; an inline
        # there would try to create a second one.
        return super().get_inline_instances(request, obj) if obj is not None else []

    @admin.display(description="Tier", ordering="account__tier")
    def tier(self, user):
        try:
            return Tier(user.account.tier).label
        except Account.DoesNotExist:
            return Tier.REGISTERED.label

    @admin.display(description="Extractions today", ordering="extractions_used_today")
    def extractions_today(self, user):
        return getattr(user, "extractions_used_today", 0)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Account:
            for inline_form in formset.forms:
                if inline_form.instance.pk and inline_form.has_changed():
                    _audit_account_change(request, inline_form)


@admin.register(DailyUsage)
class DailyUsageAdmin(admin.ModelAdmin):
    """Counters written by the quota code only: staff read them, never edit."""

    list_display = ("subject", "day", "extractions")
    list_filter = ("day",)
    search_fields = ("subject",)
    date_hierarchy = "day"
    ordering = ("-day", "-extractions")
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "key_prefix", "created_at", "last_used_at", "revoked")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("user__username", "name", "key_prefix")
    list_select_related = ("user",)
    readonly_fields = ("user", "key_prefix", "key_hash", "created_at", "last_used_at", "revoked_at")
    fields = ("user", "name", "key_prefix", "key_hash", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke_tokens"]

    def has_add_permission(self, request):
        # Tokens are created by their owner, who is the only one to see the key.
        return False

    @admin.display(boolean=True, description="Revoked", ordering="revoked_at")
    def revoked(self, token):
        return token.revoked_at is not None

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_tokens(self, request, queryset):
        tokens = list(queryset.active().select_related("user"))
        for token in tokens:
            token.revoke()
            audit.record(
                "token.revoked",
                category=audit.Category.SECURITY,
                request=request,
                obj=token,
                details={"name": token.name, "prefix": token.key_prefix, "by_staff": True},
            )
        self.message_user(
            request,
            f"{len(tokens)} token{'' if len(tokens) == 1 else 's'} revoked.",
            messages.SUCCESS,
        )


@admin.register(EmailAddress)
class EmailAddressAdmin(admin.ModelAdmin):
    """Addresses we were asked to mail (SPEC S-5): staff see who confirmed, and
    may confirm one for its owner (say, after a support request)."""

    list_display = (
        "address",
        "user",
        "confirmed_at",
        "last_confirmation_sent_at",
        "last_signup_notice_sent_at",
        "created_at",
    )
    list_filter = (("confirmed_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("address", "user__username")
    list_select_related = ("user",)
    readonly_fields = list_display
    fields = list_display
    actions = ["confirm_addresses"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Confirm selected addresses", permissions=["change"])
    def confirm_addresses(self, request, queryset):
        confirmed = 0
        for row in queryset.filter(confirmed_at__isnull=True):
            if row.confirm():
                confirmed += 1
                audit.record(
                    "email.confirmed",
                    category=audit.Category.SECURITY,
                    request=request,
                    obj=row,
                    details={"by_staff": True},
                )
        self.message_user(
            request,
            f"{confirmed} address{'' if confirmed == 1 else 'es'} confirmed.",
            messages.SUCCESS,
        )


@admin.register(BurstCounter)
class BurstCounterAdmin(admin.ModelAdmin):
    """Log-in attempts counted in the database while the cache was down: read-only."""

    list_display = ("scope", "subject", "window_start", "hits")
    list_filter = ("scope",)
    search_fields = ("subject",)
    ordering = ("-window_start",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
