"""The upload calls' side of webhooks: extraction.callbacks' handler.

`check` runs before any file is read: a `callback_url` must come with an API
token (its signing key signs the events) and pass every rule of
`addresses.check`, or the call is refused with a 400 and nothing is stored.
`attach` records the call (UploadBatch) when anyone is to be told: the URL,
or the token's endpoints. The first time a token needs a signing key, the
answer carries its secret once (`webhook_secret`). Jobs that ended before
`attach` ran (cache hits) are announced by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cv2web.errors import Refusal
from quotas.models import ApiToken

from . import addresses, events
from .models import Endpoint, SigningKey, UploadBatch


class TokenRequired(Refusal):
    code = "token_required"
    message = (
        "Callbacks are for API tokens: send `Authorization: Token <key>` (create one on "
        "your account page)."
    )
    status = 400


@dataclass(frozen=True)
class Follow:
    token: ApiToken
    callback_url: str


def token_of(request) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


class UploadCallbacks:
    """Registered with extraction.callbacks by WebhooksConfig.ready."""

    def check(self, request, url: str | None) -> Follow | None:
        token = token_of(request)
        if url in (None, ""):
            return Follow(token, "") if token is not None else None
        if token is None:
            raise TokenRequired()
        addresses.check(url)
        return Follow(token, url)

    def attach(self, request, checked: Follow | None, jobs: list, *, batch: bool) -> dict[str, Any]:
        if checked is None:
            return {}
        if not checked.callback_url and not Endpoint.objects.filter(token=checked.token).active():
            return {}
        record = UploadBatch.objects.create(
            token=checked.token, is_batch=batch, callback_url=checked.callback_url
        )
        record.jobs.add(*jobs)
        _, secret = SigningKey.ensure(checked.token)
        extra: dict[str, Any] = {}
        if batch:
            extra["batch"] = {"id": str(record.pk), "callback_url": checked.callback_url or None}
        if secret is not None:
            extra["webhook_secret"] = secret
        # Jobs the cache answered (or that ended meanwhile) were finished before
        # this record existed: their events are made here.
        finished = [job for job in record.jobs.all() if job.is_finished]
        if finished:
            events.send_soon(events.announce(record, finished))
        return extra
