"""The passphrase a person may put in front of their site (issue 15 point 5).

The passphrase is kept as a Django password hash (`Portfolio.passphrase_hash`).
A visitor who gives it gets a signed cookie scoped to the site's path
(`/p/<slug>/`): its value is the site's *gate token* signed with SECRET_KEY.
The gate token is derived from the portfolio's id and its passphrase hash, so
a new passphrase (or none) makes every earlier cookie worthless, and the
sandbox's manifest can carry it for PublicSiteMiddleware, which checks the
cookie without a database query. Knowing a gate token is not enough to pass:
the cookie must be signed.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing

COOKIE_NAME = "cv2web_pass"
_SALT = "portfolios.gate"


class PassphraseError(ValueError):
    """A passphrase the person cannot use, in words they understand."""


def validate(passphrase: str) -> str:
    """The passphrase as it will be kept, or PassphraseError."""
    if not isinstance(passphrase, str) or not passphrase.strip():
        raise PassphraseError("Enter a passphrase, or choose no passphrase.")
    low, high = settings.PORTFOLIO_PASSPHRASE_MIN_LENGTH, settings.PORTFOLIO_PASSPHRASE_MAX_LENGTH
    if len(passphrase) < low:
        raise PassphraseError(f"A passphrase has at least {low} characters.")
    if len(passphrase) > high:
        raise PassphraseError(f"A passphrase has at most {high} characters.")
    return passphrase


def make_hash(passphrase: str) -> str:
    return make_password(validate(passphrase))


def matches(passphrase_hash: str, passphrase: str) -> bool:
    if not passphrase_hash or not isinstance(passphrase, str) or not passphrase:
        return False
    if len(passphrase) > settings.PORTFOLIO_PASSPHRASE_MAX_LENGTH:
        return False  # never hash a megabyte a stranger sent
    return check_password(passphrase, passphrase_hash)


def token_of(pk: object, passphrase_hash: str) -> str:
    """The site's gate token ("" for a site without a passphrase)."""
    if not passphrase_hash:
        return ""
    return hashlib.sha256(f"{pk}:{passphrase_hash}".encode()).hexdigest()[:32]


def cookie_value(token: str) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(token)


def cookie_path(slug: str) -> str:
    return f"/p/{slug}/"


def passed(cookies: dict, token: str) -> bool:
    """Whether the request's cookie opens the site whose gate token is `token`."""
    if not token:
        return True
    value = cookies.get(COOKIE_NAME)
    if not value:
        return False
    try:
        signed = signing.TimestampSigner(salt=_SALT).unsign(
            value, max_age=settings.PORTFOLIO_PASSPHRASE_COOKIE_AGE
        )
    except signing.BadSignature:
        return False
    return signed == token
