"""The warning email's keep-alive link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from portfolios import publishing
from portfolios.models import Portfolio, State
from portfolios.scan import scan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _kim_confirmed_her_address(db):
    """Lifecycle mails go only to a confirmed address (SPEC S-5)."""
    from quotas.models import EmailAddress

    EmailAddress.objects.for_address("kim@example.com").confirm()


def warned_portfolio():
    start = timezone.now()
    p = publishing.publish(
        resume={"basics": {"name": "Kim"}},
        theme="minimal",
        client="k",
        email="kim@example.com",
        retention_hours=24,
        active_limit=5,
    ).portfolio
    mail.outbox.clear()
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        scan()
    p.refresh_from_db()
    assert p.state == State.WARNING
    link = re.search(r"https?://\S+/keep-alive/\S+", mail.outbox[0].body).group(0)
    return p, "/" + link.split("/", 3)[3]


def test_the_warning_email_link_asks_then_keeps_the_portfolio_online(client):
    p, path = warned_portfolio()
    page = client.get(path)
    assert page.status_code == 200 and b"Keep it online" in page.content
    assert Portfolio.objects.get().state == State.WARNING  # a GET changes nothing
    done = client.post(path)
    assert done.status_code == 200 and b"stays online" in done.content
    assert Portfolio.objects.get().state == State.ACTIVE


def test_a_tampered_or_expired_link_is_404(client):
    p, path = warned_portfolio()
    assert client.get(path[:-3] + "xyz").status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=9)):  # signed 25 h ahead
        assert client.post(path).status_code == 404
    assert Portfolio.objects.get().state == State.WARNING


def test_a_link_for_one_portfolio_does_not_open_another(client):
    p, path = warned_portfolio()
    other = publishing.publish(
        resume={"basics": {"name": "Lee"}},
        theme="minimal",
        client="l",
        retention_hours=24,
        active_limit=5,
    ).portfolio
    assert client.get(path.replace(p.slug, other.slug)).status_code == 404
