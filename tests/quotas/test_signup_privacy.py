"""Sign-up reveals nothing about existing accounts, and the registered tier
starts when the address is confirmed (SPEC S-5, Q-1; issue 10 item 10)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from quotas import policy
from quotas.models import Account, Tier
from tests.extraction import badfiles as bf

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
User = get_user_model()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def signup_data(**overrides) -> dict:
    data = {
        "username": "carol",
        "email": "carol@example.com",
        "password1": "Sturdy-pass-991",
        "password2": "Sturdy-pass-991",
    }
    data.update(overrides)
    return data


def without_csrf(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


def confirmation_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm/[^\s/]+/)", message.body)
    assert match, message.body
    return match.group(1)


def confirm(message) -> None:
    browser = Client()
    browser.get(confirmation_path(message))
    assert browser.post("/accounts/confirm/").status_code == 200


def test_signing_up_with_a_known_email_and_a_new_one_gives_the_same_answer(alice, mailoutbox):
    known = Client().post(SIGNUP, signup_data(username="mallory", email="ALICE@example.com"))
    new = Client().post(SIGNUP, signup_data())
    assert known.status_code == new.status_code == 302
    assert known["Location"] == new["Location"]
    assert sorted(known.cookies) == sorted(new.cookies)

    known_page = Client().get(known["Location"])
    new_page = Client().get(new["Location"])
    assert known_page.status_code == new_page.status_code == 200
    assert without_csrf(known_page.content) == without_csrf(new_page.content)
    assert b"check your mail" in new_page.content.lower()

    # One account per address: no second account for alice's address.
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    assert not User.objects.filter(username="mallory").exists()
    assert User.objects.filter(username="carol").exists()


def test_a_known_address_is_told_once_a_day_that_someone_tried(alice, mailoutbox):
    for i in range(3):
        Client().post(SIGNUP, signup_data(username=f"mallory{i}", email="alice@example.com"))

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["alice@example.com"]
    assert "tried to create" in message.body and "/accounts/password/reset/" in message.body
    # Nothing the stranger typed is in it.
    assert "mallory" not in message.body and "mallory" not in message.subject


def test_a_new_address_gets_one_confirmation_mail_and_no_login(client, mailoutbox):
    r = client.post(SIGNUP, signup_data())

    assert "_auth_user_id" not in client.session
    user = User.objects.get(username="carol")
    assert not Account.for_user(user).confirmed
    assert [m.to for m in mailoutbox] == [["carol@example.com"]]
    assert "confirm" in mailoutbox[0].subject.lower() and "carol" not in mailoutbox[0].body
    assert r.status_code == 302


def upload(api):
    text = f"Person {uuid.uuid4().hex[:8]}\nperson@example.com\n"
    return api.post(
        "/api/v1/extractions",
        {"file": SimpleUploadedFile("cv.txt", bf.txt_utf8(text))},
        format="multipart",
    )


def test_an_unconfirmed_account_gets_3_a_day_and_10_after_confirming(api, mailoutbox):
    Client().post(SIGNUP, signup_data())
    carol = User.objects.get(username="carol")
    api.force_authenticate(carol)

    assert policy.tier_of(carol) == Tier.ANONYMOUS
    for _ in range(3):
        assert upload(api).status_code == 202
    refused = upload(api)
    assert refused.status_code == 429 and refused.json()["error"] == "quota_exceeded"
    assert refused["X-Quota-Limit"] == "3"

    confirm(mailoutbox[0])
    carol = User.objects.get(pk=carol.pk)
    api.force_authenticate(carol)

    assert policy.tier_of(carol) == Tier.REGISTERED
    assert policy.limits_for(carol).extractions_per_day == 10
    accepted = upload(api)
    assert accepted.status_code == 202 and accepted["X-Quota-Limit"] == "10"


def test_unconfirmed_sign_ups_share_their_addresss_allowance(api, mailoutbox):
    # Ten sign-ups from one address must not buy ten allowances.
    for i in range(2):
        Client().post(SIGNUP, signup_data(username=f"u{i}", email=f"u{i}@example.com"))
    first, second = User.objects.get(username="u0"), User.objects.get(username="u1")
    api.force_authenticate(first)
    for _ in range(3):
        assert upload(api).status_code == 202
    api.force_authenticate(second)
    assert upload(api).status_code == 429


def test_users_created_any_other_way_count_as_confirmed(alice, staff):
    assert Account.for_user(alice).confirmed and Account.for_user(staff).confirmed
    assert policy.tier_of(alice) == Tier.REGISTERED
    assert policy.limits_for(alice).extractions_per_day == 10


def test_a_password_reset_for_an_unconfirmed_account_sends_no_reset_link(client, mailoutbox):
    Client().post(SIGNUP, signup_data(username="visit.evil.example"))
    mailoutbox.clear()

    r = client.post("/accounts/password/reset/", {"email": "carol@example.com"})

    assert r.status_code == 302
    # The reset mail names the user (text the sign-up chose): not before confirmation;
    # the confirmation mail went out today already.
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_simultaneous_sign_ups_with_one_address_make_one_account(settings):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    settings.RATELIMIT_ENABLE = False
    start = threading.Barrier(4)

    def one(i: int) -> int:
        client = Client()
        start.wait()
        try:
            return client.post(SIGNUP, signup_data(username=f"twin{i}")).status_code
        finally:
            connection.close()  # each thread has its own database connection

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(one, range(4)))

    assert codes == [302] * 4
    assert User.objects.filter(email__iexact="carol@example.com").count() == 1
