"""Fixtures of the webhook tests: no test here reaches the network. Names are
answered by a fake resolver (`dns`), receivers listen on loopback, and
loopback is allowed only where a test says so (the positive path)."""

from __future__ import annotations

import socket

import pytest
from rest_framework.test import APIClient

from quotas.models import Account, ApiToken, Tier
from webhooks import addresses


class FakeDNS:
    """name -> addresses; a list of answers is given one per lookup (rebinding)."""

    def __init__(self) -> None:
        self.names: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []

    def set(self, name: str, *answers: list[str] | str) -> None:
        self.names[name] = [[a] if isinstance(a, str) else list(a) for a in answers]

    def __call__(self, host, port, *args, **kwargs):
        self.lookups.append(host)
        answers = self.names.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        current = answers.pop(0) if len(answers) > 1 else answers[0]
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in current
        ]


@pytest.fixture(autouse=True)
def dns(monkeypatch) -> FakeDNS:
    fake = FakeDNS()
    fake.set("hooks.example.com", "93.184.216.34")
    monkeypatch.setattr(addresses, "getaddrinfo", fake)
    return fake


@pytest.fixture
def loopback_allowed(settings):
    """The positive path against a loopback receiver (never on by default)."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_TIMEOUT_S = 2.0
    settings.WEBHOOK_CONNECT_TIMEOUT_S = 1.0


@pytest.fixture
def consumer(django_user_model):
    user = django_user_model.objects.create_user("ats", "ats@example.com", "pw-ats-12345")
    Account.objects.filter(user=user).update(tier=Tier.BULK)
    return django_user_model.objects.get(pk=user.pk)


@pytest.fixture
def token(consumer) -> tuple[ApiToken, str]:
    return ApiToken.issue(consumer, "ats")


@pytest.fixture
def token_api(token) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token[1]}")
    return api
