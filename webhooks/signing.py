"""Signatures of webhook events, as the Standard Webhooks specification
(https://www.standardwebhooks.com/) defines them, so that its libraries verify
them too:

- `webhook-id`: the event's id, the same on every retry (deduplicate on it);
- `webhook-timestamp`: Unix seconds of this attempt;
- `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of
  `"{webhook-id}.{webhook-timestamp}.{body}"` under the secret's key bytes.

A secret is `whsec_` and the base64 of WEBHOOK_SECRET_BYTES random bytes. It is
shown once to the API consumer and stored encrypted (models.SigningKey).
`verify` is the receiver's side; docs/api.md shows the same in a few lines.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

PREFIX = "whsec_"


class InvalidSignature(Exception):
    pass


def new_secret(nbytes: int = 32) -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header's value."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str, headers: dict, body: bytes, *, tolerance: int = 300, now: float | None = None
) -> None:
    """Raise InvalidSignature unless `headers` sign `body` with `secret`, made
    within `tolerance` seconds of `now` (an old, replayed event is refused)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit():
        raise InvalidSignature("missing webhook-id or webhook-timestamp")
    if abs((time.time() if now is None else now) - int(stamp)) > tolerance:
        raise InvalidSignature("timestamp outside the tolerance: a replay or a wrong clock")
    expected = sign(secret, msg_id, int(stamp), body).split(",", 1)[1]
    for candidate in lowered.get("webhook-signature", "").split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return
    raise InvalidSignature("no matching signature")
