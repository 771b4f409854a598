"""Every user gets an Account; log-ins and failed log-ins go to the audit log;
a day's count saved or deleted leaves the cache."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from monitoring import audit

from .models import Account, DailyUsage, forget_usage


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="quotas.account_for_user")
def create_account(sender, instance, created, raw=False, **kwargs):
    # Not for fixtures being loaded (raw): they bring their own accounts.
    if created and not raw:
        Account.objects.get_or_create(user=instance)


@receiver(post_save, sender=DailyUsage, dispatch_uid="quotas.usage_saved")
@receiver(post_delete, sender=DailyUsage, dispatch_uid="quotas.usage_deleted")
def usage_changed(sender, instance, **kwargs):
    # A count edited in the admin (or made): the headers read it again.
    forget_usage(instance.subject, instance.day)


@receiver(user_logged_in, dispatch_uid="quotas.audit_login")
def audit_login(sender, request, user, **kwargs):
    audit.record(
        "auth.login", category=audit.Category.SECURITY, actor=user, request=request, obj=user
    )


@receiver(user_login_failed, dispatch_uid="quotas.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Only the username tried: `credentials` also holds the (masked) password.
    username = str(credentials.get("username", ""))[:150]
    audit.record(
        "auth.login_failed",
        category=audit.Category.SECURITY,
        request=request,
        details={"username": username},
    )
