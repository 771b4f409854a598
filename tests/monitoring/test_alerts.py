"""Alerts open when a threshold is crossed, mail ADMINS once, and resolve by
themselves (SPEC M-3; the capacity alert is SPEC P-5's threshold 15)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import timezone

from extraction.models import Document, ExtractionJob, JobState
from monitoring import alerts
from monitoring.models import Alert
from portfolios import publishing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _admins(settings):
    settings.ADMINS = [("Staff", "staff@example.com")]


@pytest.fixture(autouse=True)
def _live_worker():
    """A worker that reported just now: only the threshold under test fires."""
    from monitoring.models import WorkerHeartbeat

    WorkerHeartbeat.objects.create(name="test:1")


def publish_n(n: int):
    return [
        publishing.publish(
            resume={"basics": {"name": f"P{i}"}},
            theme="minimal",
            client=f"c{i}-{uuid.uuid4().hex[:6]}",
            retention_hours=24,
            active_limit=5,
        ).portfolio
        for i in range(n)
    ]


def test_capacity_alert_opens_at_the_threshold_mails_once_and_resolves(settings):
    settings.CAPACITY_WARN_AT = 3
    settings.CAPACITY_HIGH_DEMAND_AT = 4
    settings.PORTFOLIO_CAPACITY = 5
    live = publish_n(2)
    assert alerts.evaluate()["opened"] == 0
    live += publish_n(1)
    assert alerts.evaluate()["opened"] == 1
    assert alerts.evaluate()["opened"] == 0  # still open: no second mail
    assert len(mail.outbox) == 1 and "capacity" in mail.outbox[0].subject
    assert Alert.objects.open().get().key == "capacity"
    publishing.archive(live[0])
    assert alerts.evaluate()["resolved"] == 1
    assert not Alert.objects.open().exists()
    live += publish_n(1)
    alerts.evaluate()
    assert len(mail.outbox) == 2  # a new opening, a new mail


def test_slow_processing_opens_and_resolves(settings):
    settings.ALERT_PROCESSING_TIME_S = 45
    doc = Document.objects.create(sha256="a" * 64, kind="txt", size=1, storage_name="x.txt")

    def finished(ms):
        ExtractionJob.objects.create(
            document=doc,
            extractor="local",
            fingerprint="f",
            cache_key="k",
            state=JobState.SUCCEEDED,
            duration_ms=ms,
            finished_at=timezone.now(),
        )

    for _ in range(3):
        finished(60_000)
    alerts.evaluate()
    assert Alert.objects.open().filter(key="processing_time").exists()
    for _ in range(20):
        finished(2_000)
    alerts.evaluate()
    assert not Alert.objects.open().filter(key="processing_time").exists()


def test_memory_threshold(monkeypatch, settings):
    import psutil

    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(percent=95.0))
    alerts.evaluate()
    assert Alert.objects.open().filter(key="memory").exists()
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(percent=40.0))
    alerts.evaluate()
    assert not Alert.objects.open().filter(key="memory").exists()


def test_queue_full(settings):
    from extraction import queue

    settings.EXTRACTION_MAX_QUEUE_DEPTH = 1
    doc = Document.objects.create(sha256="b" * 64, kind="txt", size=1, storage_name="y.txt")
    job = queue.enqueue(doc, extractor="local", fingerprint="f")
    alerts.evaluate()
    assert Alert.objects.open().filter(key="queue_full").exists()
    queue.cancel(job)
    alerts.evaluate()
    assert not Alert.objects.open().filter(key="queue_full").exists()


def test_model_quota_from_the_recorded_rate_limit_headers():
    doc = Document.objects.create(sha256="c" * 64, kind="txt", size=1, storage_name="z.txt")

    def answered(remaining: str):
        ExtractionJob.objects.create(
            document=doc,
            extractor="claude",
            fingerprint="f",
            cache_key="k",
            state=JobState.SUCCEEDED,
            finished_at=timezone.now(),
            ratelimit={
                "anthropic-ratelimit-requests-remaining": remaining,
                "anthropic-ratelimit-requests-limit": "100",
            },
        )

    answered("10")
    alerts.evaluate()
    alerts.evaluate()
    alert = Alert.objects.open().get(key="model_quota")
    assert alert.value == 10.0
    assert [m.subject for m in mail.outbox] == ["[cv2web] Alert: model_quota"]
    answered("90")  # the limit window reset
    assert alerts.evaluate()["resolved"] == 1
    assert not Alert.objects.open().filter(key="model_quota").exists()


def test_an_unreachable_mail_server_does_not_stop_the_check(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1
    settings.CAPACITY_WARN_AT = 1
    settings.CAPACITY_HIGH_DEMAND_AT = 1
    settings.PORTFOLIO_CAPACITY = 2
    publish_n(1)
    assert alerts.evaluate()["opened"] == 1
    assert not Alert.objects.get().notified


def test_the_alert_check_is_scheduled_and_has_a_dry_run(capsys):
    from django.core.management import call_command

    from monitoring.schedules import SCHEDULES

    assert "monitoring.tasks.sample_and_check" in {s.run for s in SCHEDULES}
    call_command("check_alerts", "--dry-run")
    assert "capacity" in capsys.readouterr().out
    assert not Alert.objects.exists()
