"""Who may receive mail from cv2web (SPEC S-5).

An address typed into a form belongs to whoever reads it, not to whoever
typed it: until its owner confirms, it receives nothing but a confirmation
mail, with no text anyone else chose, at most once per
EMAIL_CONFIRMATION_INTERVAL_HOURS. Every other app asks `may_mail()` first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from .models import EmailAddress, normalize_address

log = logging.getLogger("cv2web.quotas")

CONFIRM_SALT = "quotas.email-confirmation"
# The confirmation token moves from the URL into the session on first visit.
SESSION_KEY = "quotas_email_confirmation"


def _interval() -> dt.timedelta:
    return dt.timedelta(hours=settings.EMAIL_CONFIRMATION_INTERVAL_HOURS)


def is_confirmed(address: str) -> bool:
    """Has the owner of `address` agreed to mail from us?

    Yes once the address confirmed a link, and for the address of a confirmed
    account (users made by staff, createsuperuser or fixtures count as
    confirmed; sign-ups once they confirm).
    """
    address = normalize_address(address)
    if not address:
        return False
    if EmailAddress.objects.confirmed().filter(address=address).exists():
        return True
    return (
        get_user_model()
        .objects.filter(email__iexact=address, is_active=True)
        .exclude(account__confirmed=False)
        .exists()
    )


def may_mail(address: str) -> bool:
    """True when `address` may get a mail now; otherwise it is asked to confirm
    (at most once per interval) and the caller sends nothing."""
    if is_confirmed(address):
        return True
    request_confirmation(address)
    return False


def request_confirmation(address: str) -> bool:
    """Mail `address` a confirmation link, unless one went within the interval."""
    address = normalize_address(address)
    if not address:
        return False
    row = EmailAddress.objects.for_address(address)
    if row.confirmed_at is not None:
        return False
    field = "last_confirmation_sent_at"
    if not row.claim_send(field, _interval()):
        return False
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    context = {
        "confirm_url": base + confirmation_path(row),
        "valid_days": settings.EMAIL_CONFIRMATION_DAYS,
        "base_url": base,
    }
    if _send("confirm", row.address, context):
        return True
    row.release_send(field)
    return False


def notify_signup_attempt(address: str) -> bool:
    """Someone signed up with an address that has an account: tell its owner
    (at most once per interval), or ask an unconfirmed one to confirm."""
    address = normalize_address(address)
    if not is_confirmed(address):
        return request_confirmation(address)
    row = EmailAddress.objects.for_address(address)
    field = "last_signup_notice_sent_at"
    if not row.claim_send(field, _interval()):
        return False
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    context = {
        "login_url": base + reverse("accounts:login"),
        "reset_url": base + reverse("accounts:password_reset"),
        "base_url": base,
    }
    if _send("signup_attempt", row.address, context):
        return True
    row.release_send(field)
    return False


def claim_for_signup(address: str, user) -> bool:
    """Bind `address` to the account being created; False when another has it.

    Called inside the sign-up's transaction: of two simultaneous sign-ups with
    one address, the second's conditional UPDATE finds the row taken.
    """
    row = EmailAddress.objects.for_address(address)
    return bool(EmailAddress.objects.filter(pk=row.pk, user__isnull=True).update(user=user))


def _digest(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()[:16]


def confirmation_path(row: EmailAddress) -> str:
    """A signed, time-limited link; it carries the row's id, not the address."""
    token = signing.dumps({"a": row.pk, "h": _digest(row.address)}, salt=CONFIRM_SALT)
    return reverse("accounts:confirm_email_link", args=[token])


def address_for_token(token: str) -> EmailAddress | None:
    """The address a confirmation token names, or None when tampered with or expired."""
    try:
        data = signing.loads(
            token, salt=CONFIRM_SALT, max_age=dt.timedelta(days=settings.EMAIL_CONFIRMATION_DAYS)
        )
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    row = EmailAddress.objects.filter(pk=data.get("a")).first()
    if row is None or _digest(row.address) != data.get("h"):
        return None
    return row


def confirm(row: EmailAddress) -> bool:
    """The owner agreed: mail may go to the address, and its account gets its tier."""
    with transaction.atomic():
        return row.confirm()


def _send(kind: str, to: str, context: dict) -> bool:
    subject = " ".join(render_to_string(f"quotas/emails/{kind}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject, render_to_string(f"quotas/emails/{kind}.txt", context), to=[to]
    )
    message.attach_alternative(render_to_string(f"quotas/emails/{kind}.html", context), "text/html")
    try:
        return bool(message.send())
    except Exception:  # noqa: BLE001 - a mail server problem must not fail the request
        log.exception("could not send the %s email", kind)
        return False
