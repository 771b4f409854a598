"""The verification snippet of docs/api.md works as written: it accepts a real
delivery and refuses a replay, a tampered body and another secret."""

from __future__ import annotations

import re
import time

import pytest
from django.utils import timezone

from tests.conftest import REPO
from tests.net import Receiver
from webhooks import delivery
from webhooks.models import Delivery, SigningKey

pytestmark = pytest.mark.django_db


def documented_verify():
    text = (REPO / "docs" / "api.md").read_text()
    code = re.search(r"<!-- verify-snippet -->\n```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace["verify"]


def test_the_documented_snippet_verifies_a_delivery_and_refuses_a_replay(
    loopback_allowed, token, monkeypatch
):
    verify = documented_verify()
    _, secret = SigningKey.ensure(token[0])
    with Receiver() as receiver:
        d = Delivery.objects.create(
            token=token[0],
            url=receiver.url(),
            event="batch.finished",
            payload={"type": "batch.finished", "data": {"id": "b"}},
            dedupe_key="doc",
            next_attempt_at=timezone.now(),
        )
        assert delivery.attempt(d.pk) == "delivered"
    request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body + b" ")
    assert not verify(SigningKey.rotate(token[0]), headers, body)
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)
    assert not verify(secret, headers, body)  # the same request replayed five minutes on
