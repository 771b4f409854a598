"""Lifecycle emails, each a template triplet: subject, text and HTML."""

from __future__ import annotations

import logging

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from quotas.mail import may_mail

from . import links
from .models import Portfolio

log = logging.getLogger("cv2web.portfolios")


def _send(kind: str, portfolio: Portfolio, **context) -> int:
    # SPEC S-5: these mails carry text the publisher chose (the CV's name, the
    # slug); an address that has not confirmed gets, at most daily, a plain
    # confirmation mail from quotas instead, and this one is not sent.
    if not may_mail(portfolio.email):
        return 0
    context |= {
        "portfolio": portfolio,
        "name": portfolio.display_name,
        "public_url": links.public_url(portfolio),
        "cleanup_at": portfolio.cleanup_at(),
        "base_url": links.absolute(""),
    }
    subject = " ".join(render_to_string(f"portfolios/emails/{kind}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject,
        render_to_string(f"portfolios/emails/{kind}.txt", context),
        to=[portfolio.email],
    )
    message.attach_alternative(
        render_to_string(f"portfolios/emails/{kind}.html", context), "text/html"
    )
    try:
        return message.send()
    except Exception:  # noqa: BLE001 - a mail server problem must not stop the lifecycle
        log.exception("could not send the %s email for portfolio %s", kind, portfolio.pk)
        return 0


def send_published(portfolio: Portfolio, token: str) -> int:
    return _send("published", portfolio, manage_url=links.manage_link(portfolio, token))


def send_warning(portfolio: Portfolio) -> int:
    return _send("warning", portfolio, keep_alive_url=links.keep_alive_url(portfolio))


def send_archived(portfolio: Portfolio) -> int:
    return _send("archived", portfolio)


def send_published_from_waiting_list(portfolio: Portfolio) -> int:
    return _send("waitlist_published", portfolio)
