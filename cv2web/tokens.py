"""Secrets that give control of one object (SPEC S-1): a portfolio's manage
token, an anonymous extraction job's token.

A token is shown once and stored only as its SHA-256. A caller presents it in
a header, never in a URL that stays: `Authorization: Manage <token>` or
`X-Manage-Token: <token>`. (The manage link of the e-mail carries it once in
its path; the page trades it for a session at once.)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Long enough for 256 bits from token_urlsafe(32) (43 characters), short enough
# that a header cannot make us hash megabytes.
MAX_TOKEN_LENGTH = 128


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def matches(stored_hash: str, token: str | None) -> bool:
    """Whether `token` hashes to `stored_hash`, in constant time."""
    if not stored_hash or not token:
        return False
    return hmac.compare_digest(stored_hash, hash_token(token))


def presented(request) -> str | None:
    """The manage token the request carries in a header, if any."""
    headers = request.headers
    value = headers.get("X-Manage-Token", "").strip()
    if not value:
        scheme, _, rest = headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() == "manage":
            value = rest.strip()
    if not value or len(value) > MAX_TOKEN_LENGTH:
        return None
    return value


def presented_hash(request) -> str | None:
    token = presented(request)
    return hash_token(token) if token else None
