"""Every URL of a portfolio, built in one place with reverse()."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Portfolio

KEEP_ALIVE_SALT = "portfolios.keep-alive"
KEEP_ALIVE_MAX_AGE = 7 * 24 * 3600


def absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def public_url(portfolio: Portfolio) -> str:
    return absolute(reverse("portfolios:public", args=[portfolio.slug]))


def manage_link(portfolio: Portfolio, token: str) -> str:
    """The private link shown once and e-mailed: it carries the token, which
    the page trades for a session on first visit."""
    return absolute(reverse("pages:manage-token", args=[portfolio.slug, token]))


def manage_path(portfolio: Portfolio) -> str:
    """The manage page itself, with no secret in it."""
    return reverse("pages:manage", args=[portfolio.slug])


def keep_alive_url(portfolio: Portfolio) -> str:
    """A signed, time-limited link that keeps one portfolio online (the warning mail)."""
    signed = signing.dumps(str(portfolio.pk), salt=KEEP_ALIVE_SALT, compress=True)
    return absolute(reverse("pages:keep-alive", args=[portfolio.slug, signed]))


def keep_alive_pk(signed: str) -> str | None:
    """The portfolio id a keep-alive link names, if its signature holds and it is recent."""
    try:
        return signing.loads(signed, salt=KEEP_ALIVE_SALT, max_age=KEEP_ALIVE_MAX_AGE)
    except signing.BadSignature:
        return None
