"""Upload callbacks: what an upload call asks to be told when its jobs end.

Extraction knows nothing of how that is done: the app that does it (webhooks,
above extraction) registers a handler at start-up, as portfolios registers its
"returning visitor" check with quotas. An upload call asks the handler to
`check` its `callback_url` before any file is read (a bad one is a 400 and
nothing is stored), then to `attach` the jobs it accepted; `attach` answers
the fields to add to the call's answer. Without a handler, a `callback_url` is
refused.
"""

from __future__ import annotations

from typing import Any, Protocol

from cv2web.errors import Refusal


class CallbacksUnavailable(Refusal):
    code = "callbacks_unavailable"
    message = "This service does not send callbacks."
    status = 400


class CallbackHandler(Protocol):
    def check(self, request: Any, url: str | None) -> Any:
        """Refuse a bad `url` (raise a Refusal); return what `attach` needs."""

    def attach(self, request: Any, checked: Any, jobs: list, *, batch: bool) -> dict[str, Any]:
        """Follow the accepted `jobs` of one upload call; the answer's extra fields."""


_handler: CallbackHandler | None = None


def register(handler: CallbackHandler) -> None:
    global _handler
    _handler = handler


def check(request: Any, url: str | None) -> Any:
    if _handler is None:
        if url:
            raise CallbacksUnavailable()
        return None
    return _handler.check(request, url)


def attach(request: Any, checked: Any, jobs: list, *, batch: bool) -> dict[str, Any]:
    if _handler is None or not jobs:
        return {}
    return _handler.attach(request, checked, jobs, batch=batch)
