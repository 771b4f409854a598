"""Deliveries (issue 14 point 4): signed as Standard Webhooks says, sent to the
address that was checked, never followed through a redirect, cut at the
timeout and the size cap, retried with backoff for a day on 5xx and
timeouts, refused at delivery time when the name now points inside."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from monitoring.models import AuditLog
from quotas.models import ApiToken
from tests.net import Receiver
from webhooks import delivery, signing
from webhooks.models import Delivery, DeliveryState, SigningKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(token) -> str:
    _, secret = SigningKey.ensure(token[0])
    return secret


def make(token, url: str, **kw) -> Delivery:
    return Delivery.objects.create(
        token=token[0],
        url=url,
        event="extraction.finished",
        payload={"type": "extraction.finished", "data": {"id": "job-1", "status": "succeeded"}},
        dedupe_key=kw.pop("dedupe_key", f"test:{time.monotonic_ns()}"),
        next_attempt_at=timezone.now(),
        **kw,
    )


def state(d: Delivery) -> Delivery:
    return Delivery.objects.get(pk=d.pk)


def test_a_delivery_is_signed_and_the_signature_verifies(loopback_allowed, token, secret):
    with Receiver() as receiver:
        d = make(token, receiver.url())
        assert delivery.attempt(d.pk) == "delivered"
    (request,) = receiver.requests
    headers = request["headers"]
    assert headers["webhook-id"] == f"msg_{d.pk.hex}"
    assert headers["Content-Type"] == "application/json"
    signing.verify(secret, headers, request["body"])  # raises if it does not verify
    assert json.loads(request["body"])["data"]["id"] == "job-1"
    d = state(d)
    assert d.state == DeliveryState.DELIVERED and d.attempts == 1 and d.last_status == 200
    attempt = d.attempt_log.get()
    assert attempt.status == 200 and attempt.address == "127.0.0.1"


def test_a_replayed_or_tampered_event_does_not_verify(loopback_allowed, token, secret):
    with Receiver() as receiver:
        delivery.attempt(make(token, receiver.url()).pk)
    (request,) = receiver.requests
    headers, body = request["headers"], request["body"]
    later = int(headers["webhook-timestamp"]) + 600
    with pytest.raises(signing.InvalidSignature, match="timestamp"):
        signing.verify(secret, headers, body, now=later)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(secret, headers, body.replace(b"succeeded", b"failed"))
    with pytest.raises(signing.InvalidSignature):
        signing.verify(signing.new_secret(), headers, body)


def test_the_connection_goes_to_the_checked_address_with_the_name_kept(
    loopback_allowed, dns, token, secret
):
    dns.set("hooks.test", "127.0.0.1")
    with Receiver() as receiver:
        d = make(token, receiver.url(host="hooks.test"))
        assert delivery.attempt(d.pk) == "delivered"
    assert receiver.requests[0]["headers"]["Host"] == f"hooks.test:{receiver.port}"
    assert dns.lookups.count("hooks.test") == 1  # resolved once, and that address used


def test_dns_rebinding_at_delivery_time_is_refused_and_nothing_is_sent(
    settings, dns, token, secret
):
    settings.WEBHOOK_ALLOW_HTTP = True  # loopback stays forbidden
    with Receiver() as receiver:
        # Public when registered, loopback when the delivery looks again.
        dns.set("rebind.test", "93.184.216.34", "127.0.0.1")
        from webhooks import addresses

        addresses.check(receiver.url(host="rebind.test"))
        d = make(token, receiver.url(host="rebind.test"))
        assert delivery.attempt(d.pk) == "failed"
    assert receiver.requests == []
    d = state(d)
    assert d.state == DeliveryState.FAILED and d.last_error == "address_not_allowed"
    assert d.attempt_log.get().error == "address_not_allowed"


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "http://[::1]:1/hook",
        "http://[::ffff:10.0.0.1]/hook",
    ],
)
def test_an_internal_address_is_refused_at_delivery_time(settings, token, secret, url):
    settings.WEBHOOK_ALLOW_HTTP = True
    d = make(token, url)
    assert delivery.attempt(d.pk) == "failed"
    assert state(d).last_error == "address_not_allowed"


def test_a_redirect_is_not_followed(loopback_allowed, token, secret):
    with Receiver() as target, Receiver(status=302) as receiver:
        receiver.headers = {"Location": target.url("/stolen")}
        d = make(token, receiver.url())
        assert delivery.attempt(d.pk) == "failed"
    assert len(receiver.requests) == 1 and target.requests == []
    d = state(d)
    assert d.last_status == 302 and d.last_error == "redirect_not_followed"


def test_a_500_is_retried_with_backoff_then_delivered(loopback_allowed, settings, token, secret):
    settings.WEBHOOK_RETRY_DELAYS_S = [30, 120]
    with Receiver(status=500) as receiver:
        d = make(token, receiver.url())
        assert delivery.attempt(d.pk) == "retrying"
        first = state(d)
        assert first.state == DeliveryState.PENDING and first.last_status == 500
        wait = (first.next_attempt_at - timezone.now()).total_seconds()
        assert 25 < wait <= 30
        assert delivery.attempt(d.pk) == "not_due"  # not before its time
        receiver.status = 200
        with time_machine.travel(first.next_attempt_at + timedelta(seconds=1)):
            assert delivery.attempt(d.pk) == "delivered"
    assert len(receiver.requests) == 2
    ids = {r["headers"]["webhook-id"] for r in receiver.requests}
    assert ids == {f"msg_{d.pk.hex}"}  # the same id on every try


def test_retries_stop_after_a_day_and_the_failure_is_recorded(
    loopback_allowed, settings, token, secret
):
    with Receiver(status=503) as receiver:
        d = make(token, receiver.url())
        outcomes = []
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            while (outcome := delivery.attempt(d.pk)) == "retrying":
                outcomes.append(outcome)
                clock.move_to(state(d).next_attempt_at + timedelta(seconds=1))
            last = timezone.now()
    assert outcome == "failed"
    d = state(d)
    # The first attempt and one retry after each delay.
    assert d.state == DeliveryState.FAILED
    assert d.attempts == len(settings.WEBHOOK_RETRY_DELAYS_S) + 1
    assert timedelta(hours=20) < last - start <= timedelta(days=1)
    assert d.attempt_log.count() == d.attempts == len(receiver.requests)
    assert AuditLog.objects.filter(action="webhook.failed").exists()


def test_a_4xx_is_final(loopback_allowed, token, secret):
    with Receiver(status=410) as receiver:
        d = make(token, receiver.url())
        assert delivery.attempt(d.pk) == "failed"
    assert state(d).last_status == 410


def test_a_receiver_that_hangs_is_cut_at_the_timeout_and_retried(
    loopback_allowed, settings, token, secret
):
    settings.WEBHOOK_TIMEOUT_S = 0.5
    with Receiver() as receiver:
        receiver.hang = 3
        d = make(token, receiver.url())
        started = time.monotonic()
        assert delivery.attempt(d.pk) == "retrying"
        took = time.monotonic() - started
    assert took < 2
    assert state(d).last_error == "timeout"


def test_a_receiver_that_trickles_is_cut_at_the_timeout(loopback_allowed, settings, token, secret):
    settings.WEBHOOK_TIMEOUT_S = 0.5
    with Receiver(body=b"x" * 200) as receiver:
        receiver.trickle = True  # 200 bytes at 20 a second: 10 s
        d = make(token, receiver.url())
        started = time.monotonic()
        delivery.attempt(d.pk)
        took = time.monotonic() - started
    assert took < 2 and state(d).last_error == "timeout"


def test_a_fifty_megabyte_answer_is_read_only_to_the_cap(loopback_allowed, settings, token, secret):
    settings.WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024
    with Receiver(body=b"y" * (50 * 1024 * 1024)) as receiver:
        d = make(token, receiver.url())
        started = time.monotonic()
        assert delivery.attempt(d.pk) == "delivered"
        took = time.monotonic() - started
    attempt = state(d).attempt_log.get()
    assert attempt.truncated and attempt.status == 200 and len(attempt.excerpt) <= 300
    assert took < 2


def test_a_refused_connection_is_retried(loopback_allowed, token, secret):
    from tests.net import free_port

    d = make(token, f"http://127.0.0.1:{free_port()}/hook")
    assert delivery.attempt(d.pk) == "retrying"
    assert state(d).last_error == "connection_failed"


def test_https_is_verified_against_the_host_name_while_connecting_to_its_address(
    loopback_allowed, settings, dns, token, secret, tmp_path
):
    """A TLS receiver on loopback with a certificate for `hooks.test`: trusted,
    it is delivered; a name the certificate does not cover is refused."""
    import ssl

    from tests.webhooks.tls import make_certificate

    cert, key, ca = make_certificate(tmp_path, "hooks.test")
    settings.WEBHOOK_CA_FILE = str(ca)
    dns.set("hooks.test", "127.0.0.1")
    dns.set("other.test", "127.0.0.1")
    with Receiver() as receiver:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
        ok = make(token, f"https://hooks.test:{receiver.port}/hook")
        assert delivery.attempt(ok.pk) == "delivered"
        wrong = make(token, f"https://other.test:{receiver.port}/hook")
        assert delivery.attempt(wrong.pk) == "failed"
    assert state(wrong).last_error == "tls_failed"
    assert len(receiver.requests) == 1


def test_a_revoked_tokens_deliveries_stop(loopback_allowed, token, secret):
    with Receiver() as receiver:
        d = make(token, receiver.url())
        ApiToken.objects.get(pk=token[0].pk).revoke()
        assert delivery.attempt(d.pk) == "failed"
    assert receiver.requests == [] and state(d).last_error == "token_revoked"


def test_two_workers_never_send_the_same_attempt(loopback_allowed, token, secret):
    with Receiver() as receiver:
        d = make(token, receiver.url())
        assert d.claim(timezone.now(), timedelta(minutes=1))
        assert delivery.attempt(d.pk) == "not_due"  # the other worker holds it
    assert receiver.requests == []
