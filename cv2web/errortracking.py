"""Optional error tracking with Sentry (docs/deploy.md, Error tracking).

Started from settings only when `SENTRY_DSN` is set; without it sentry-sdk is
not even imported. What leaves the process is bounded by what the product
promises about secrets and CV data (SPEC S-2, S-3):

- `send_default_pii=False`: no cookies, no user id or e-mail, no client
  address;
- no request bodies (`max_request_body_size="never"`): a review form or an
  upload carries a person's CV;
- no local variables of stack frames (`include_local_variables=False`): a
  frame may hold a document, a manage token or a key;
- every string of an event and of its breadcrumbs passes `cv2web.redact`
  (manage and reset links, ids, tokens in URLs, `Authorization` values), as
  every log line and error mail does, and a header, cookie or parameter with
  a secret's name (`X-Manage-Token`, `sessionid`) loses its value whole.

Nothing here reads Django settings: it runs while they are being read.
"""

from __future__ import annotations

from typing import Any

from .redact import REDACTED, is_secret_name, redact_value

# Parts of an event or breadcrumb whose keys are names a client chose (headers,
# cookies, query parameters): a value under a secret's name goes whole, as a
# raw token (X-Manage-Token) has no shape the text patterns would know.
_NAMED_PARTS = ("headers", "cookies", "env", "data", "query_string")


def _scrub(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    event = redact_value(event)
    for holder in (event, event.get("request")):
        if not isinstance(holder, dict):
            continue
        for part in _NAMED_PARTS:
            values = holder.get(part)
            if isinstance(values, dict):
                holder[part] = {
                    key: REDACTED if is_secret_name(str(key)) else value
                    for key, value in values.items()
                }
    return event


def init(
    dsn: str,
    *,
    environment: str,
    release: str,
    traces_sample_rate: float,
) -> None:
    """Start sentry-sdk with the Django integration and the limits above."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        before_send=_scrub,
        before_send_transaction=_scrub,
        before_breadcrumb=_scrub,
    )
