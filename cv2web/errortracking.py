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
  every log line and error mail does.

Nothing here reads Django settings: it runs while they are being read.
"""

from __future__ import annotations

from typing import Any

from .redact import redact_value


def _scrub(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    return redact_value(event)


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
