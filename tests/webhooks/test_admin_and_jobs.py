"""Staff see every delivery with its attempts and can retry one (an action and
a button); the every-minute job hands due retries to workers and forgets old
deliveries."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from monitoring.models import AuditLog
from tests.net import Receiver
from webhooks import delivery, tasks
from webhooks.models import Attempt, Delivery, DeliveryState, SigningKey

pytestmark = pytest.mark.django_db

URL = "/admin/webhooks/delivery/"


def make(token, url="https://hooks.example.com/x", **kw) -> Delivery:
    SigningKey.ensure(token[0])
    return Delivery.objects.create(
        token=token[0],
        url=url,
        event="batch.finished",
        payload={"type": "batch.finished", "data": {}},
        dedupe_key=kw.pop("dedupe_key", str(timezone.now().timestamp()) + url),
        next_attempt_at=kw.pop("next_attempt_at", timezone.now()),
        **kw,
    )


def test_staff_list_deliveries_and_read_their_attempts(staff_client, token):
    failed = make(token, state=DeliveryState.FAILED, last_status=500, attempts=1)
    Attempt.objects.create(delivery=failed, number=1, status=500, excerpt="upstream broke")
    page = staff_client.get(URL, {"state": "failed"}).content.decode()
    assert "hooks.example.com" in page and "Failed" in page and "ats" in page
    detail = staff_client.get(f"{URL}{failed.pk}/change/").content.decode()
    assert "upstream broke" in detail and "Retry now" in detail
    assert "whsec_" not in detail


def test_the_retry_action_and_button_send_a_failed_delivery_again(
    staff_client, token, loopback_allowed
):
    with Receiver() as receiver:
        a = make(token, receiver.url("/a"), state=DeliveryState.FAILED, attempts=10)
        b = make(token, receiver.url("/b"), state=DeliveryState.FAILED, attempts=10)
        staff_client.post(URL, {"action": "retry_deliveries", "_selected_action": [a.pk]})
        assert Delivery.objects.get(pk=a.pk).state == DeliveryState.PENDING
        r = staff_client.post(f"{URL}{b.pk}/retry/")
        assert r.status_code == 302
        assert Delivery.objects.get(pk=b.pk).state == DeliveryState.PENDING
        assert sorted(delivery.attempt(pk) for pk in (a.pk, b.pk)) == ["delivered"] * 2
    assert AuditLog.objects.filter(action="webhook.retried_by_staff").count() == 2
    # A GET to the button's URL changes nothing.
    assert staff_client.get(f"{URL}{b.pk}/retry/").status_code == 302


def test_deliveries_are_read_only_for_staff(staff_client, token):
    d = make(token)
    staff_client.post(f"{URL}{d.pk}/change/", {"url": "https://evil.example/"})
    assert Delivery.objects.get(pk=d.pk).url == "https://hooks.example.com/x"


def test_the_sweep_hands_due_deliveries_to_workers_and_forgets_old_ones(token, settings):
    from django_q.models import OrmQ

    due = make(token, dedupe_key="due")
    make(token, dedupe_key="later", next_attempt_at=timezone.now() + timedelta(minutes=5))
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        make(token, dedupe_key="old", state=DeliveryState.DELIVERED)
    assert tasks.deliver_due(dry_run=True) == {"due": 1, "would_delete": 1}
    stats = tasks.deliver_due()
    assert stats["due"] == 1 and stats["deleted"] == 1
    queued = [task.task["args"] for task in OrmQ.objects.all()]
    assert queued == [(str(due.pk),)]
    assert not Delivery.objects.filter(dedupe_key="old").exists()


def test_the_sweep_is_a_scheduled_job_with_a_command(token, capsys):
    from monitoring.schedules import BY_NAME

    assert BY_NAME["webhook deliveries"].run == "webhooks.tasks.deliver_due"
    make(token)
    call_command("deliver_webhooks", "--dry-run")
    assert "due" in capsys.readouterr().out
