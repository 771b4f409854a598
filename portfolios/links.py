"""Every URL of a portfolio, built in one place with reverse().

Paths (`..._path`) are for links and redirects inside the site; URLs
(`..._url`, `..._link`) are absolute, for e-mails and API answers.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Portfolio, PortfolioRequest

KEEP_ALIVE_SALT = "portfolios.keep-alive"
KEEP_ALIVE_MAX_AGE = 7 * 24 * 3600


def absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


# --- The public site ----------------------------------------------------------------


def public_url(portfolio: Portfolio) -> str:
    return absolute(reverse("portfolios:public", args=[portfolio.slug]))


# --- Managing -----------------------------------------------------------------------


def manage_link(portfolio: Portfolio, token: str) -> str:
    """The private link shown once and e-mailed: it carries the token, which
    the page trades for a session on first visit."""
    return absolute(reverse("portfolios:manage-token", args=[portfolio.slug, token]))


def manage_path(portfolio: Portfolio) -> str:
    """The manage page itself, with no secret in it."""
    return reverse("portfolios:manage", args=[portfolio.slug])


def edit_path(portfolio: Portfolio) -> str:
    return reverse("portfolios:edit", args=[portfolio.slug])


def keep_alive_url(portfolio: Portfolio) -> str:
    """A signed, time-limited link that keeps one portfolio online (the warning mail)."""
    signed = signing.dumps(str(portfolio.pk), salt=KEEP_ALIVE_SALT, compress=True)
    return absolute(reverse("portfolios:keep-alive", args=[portfolio.slug, signed]))


def keep_alive_pk(signed: str) -> str | None:
    """The portfolio id a keep-alive link names, if its signature holds and it is recent."""
    try:
        return signing.loads(signed, salt=KEEP_ALIVE_SALT, max_age=KEEP_ALIVE_MAX_AGE)
    except signing.BadSignature:
        return None


def dashboard_path() -> str:
    return reverse("portfolios:dashboard")


def deleted_path() -> str:
    return reverse("portfolios:deleted")


# --- Publishing from an extraction job ------------------------------------------------


def review_path(job_pk) -> str:
    return reverse("portfolios:review", args=[job_pk])


def publish_path(job_pk) -> str:
    return reverse("portfolios:publish", args=[job_pk])


def preview_css_path(job_pk, theme: str) -> str:
    return reverse("portfolios:preview-css", args=[job_pk, theme])


def published_path(portfolio: Portfolio) -> str:
    """Where a publication lands: the public link and, once, the manage link."""
    return reverse("portfolios:published", args=[portfolio.slug])


def waiting_path(req: PortfolioRequest) -> str:
    return reverse("portfolios:waiting", args=[req.pk])
