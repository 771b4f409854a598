"""An address receives mail only after it confirms it (SPEC S-5; issue 10 item 9)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from monitoring.models import AuditLog
from portfolios.scan import scan
from quotas import mail
from quotas.models import EmailAddress

pytestmark = pytest.mark.django_db

STRANGER = "victim@example.com"
CHOSEN = "Buy cheap pills at evil.example"


@pytest.fixture(autouse=True)
def _room_for_several_portfolios(settings):
    settings.QUOTA_TIERS = {
        **settings.QUOTA_TIERS,
        "anonymous": {**settings.QUOTA_TIERS["anonymous"], "active_portfolios": 10},
    }


def publish(api, email: str = STRANGER, name: str = CHOSEN):
    r = api.post(
        "/api/v1/portfolios",
        {"resume": {"basics": {"name": name, "summary": name}}, "email": email},
        format="json",
    )
    assert r.status_code == 201, r.content
    return r


def everything(message) -> str:
    html = "".join(body for body, _ in getattr(message, "alternatives", []))
    return f"{message.subject}\n{message.body}\n{html}"


def confirmation_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm/[^\s/]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_publishing_five_times_with_a_strangers_address_sends_one_plain_confirmation(
    api, mailoutbox
):
    for i in range(5):
        publish(api, name=f"{CHOSEN} {i}")

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [STRANGER]
    text = everything(message).lower()
    # Nothing the publisher chose reaches the stranger: no name, no slug, no summary.
    assert "pills" not in text and "evil" not in text and "/p/" not in text
    assert "confirm" in message.subject.lower()
    assert confirmation_path(message) in everything(message)
    assert not EmailAddress.objects.get(address=STRANGER).confirmed_at


def test_the_confirmation_mail_goes_at_most_once_a_day(api, mailoutbox):
    start = timezone.now()
    publish(api)
    with time_machine.travel(start + timedelta(hours=23), tick=False):
        publish(api)
    assert len(mailoutbox) == 1
    with time_machine.travel(start + timedelta(hours=24, minutes=1), tick=False):
        publish(api)
    assert len(mailoutbox) == 2 and all(m.to == [STRANGER] for m in mailoutbox)


def test_a_get_on_the_link_asks_and_a_post_confirms(api, client, mailoutbox):
    publish(api)
    path = confirmation_path(mailoutbox[0])

    page = client.get(path, follow=True)
    assert page.status_code == 200 and b"Confirm my address" in page.content
    # The token leaves the address bar (and later Referers) after the first visit.
    assert page.redirect_chain == [("/accounts/confirm/", 302)]
    assert not mail.is_confirmed(STRANGER)  # mail scanners open links: GET changes nothing

    done = client.post("/accounts/confirm/")
    assert done.status_code == 200 and b"Your address is confirmed" in done.content
    assert mail.is_confirmed(STRANGER) and mail.is_confirmed("Victim@Example.com ")
    assert AuditLog.objects.filter(action="email.confirmed", category="security").exists()


def test_a_tampered_or_expired_link_confirms_nothing(api, client, mailoutbox):
    publish(api)
    path = confirmation_path(mailoutbox[0])

    assert client.get(path[:-4] + "xyz/").status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert client.get(path).status_code == 404
        assert client.post("/accounts/confirm/").status_code == 404
    assert not mail.is_confirmed(STRANGER)


def test_after_confirming_the_warning_mail_goes_out(api, client, mailoutbox):
    start = timezone.now()
    publish(api)
    client.get(confirmation_path(mailoutbox[0]))
    client.post("/accounts/confirm/")
    mailoutbox.clear()

    with time_machine.travel(start + timedelta(hours=24, minutes=1), tick=False):
        stats = scan()

    assert stats["emails"] == 1 and len(mailoutbox) == 1
    assert mailoutbox[0].to == [STRANGER]
    assert "archived soon" in mailoutbox[0].subject and "keep-alive" in mailoutbox[0].body


def test_an_unconfirmed_address_gets_no_warning_only_a_daily_reminder(api, mailoutbox):
    start = timezone.now()
    publish(api)
    mailoutbox.clear()

    with time_machine.travel(start + timedelta(hours=24, minutes=1), tick=False):
        stats = scan()

    assert stats["emails"] == 0
    assert [m.to for m in mailoutbox] == [[STRANGER]]
    assert "confirm" in mailoutbox[0].subject.lower() and "pills" not in everything(mailoutbox[0])


def test_an_account_email_counts_as_confirmed_for_its_owner(api, alice, mailoutbox):
    api.force_authenticate(alice)
    r = publish(api, email="alice@example.com", name="Alice Example")

    assert len(mailoutbox) == 1 and "is live" in mailoutbox[0].subject
    assert r.json()["manage_url"].split("/")[-1] in mailoutbox[0].body


def test_a_confirmed_account_still_cannot_mail_a_strangers_address(api, alice, mailoutbox):
    api.force_authenticate(alice)
    publish(api, email=STRANGER)
    assert len(mailoutbox) == 1 and "confirm" in mailoutbox[0].subject.lower()


def test_the_published_page_says_notices_need_a_confirmed_address(rf):
    from django.template.loader import render_to_string

    from portfolios.models import Portfolio

    portfolio = Portfolio(slug="kim-1", email=STRANGER)
    for manage_url in ("https://example.test/p/kim-1/manage/secret", None):
        text = render_to_string(
            "portfolios/pages/published.html",
            {"portfolio": portfolio, "public_url": "/p/kim-1/", "manage_url": manage_url},
            request=rf.get("/"),
        )
        assert "confirm" in text.lower() and "We also emailed it to you" not in text
