"""Issue 10, item 15: refusals are logged, not mailed; ADMINS get one mail per
kind of bug per ERROR_MAIL_INTERVAL_MINUTES (cv2web.errormail)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(settings):
    settings.ADMINS = [("Staff", "staff@example.com")]
    settings.ERROR_MAIL_INTERVAL_MINUTES = 15
    mail.outbox.clear()
    return Client(raise_request_exception=False)


def upload(web, i: int):
    cv = SimpleUploadedFile(f"cv{i}.txt", b"Jane Example %d\njane@example.com\n" % i)
    return web.post("/api/v1/extractions", {"file": cv})


def test_140_queue_full_refusals_send_no_mail_and_are_logged_as_warnings(web, settings, caplog):
    settings.EXTRACTION_MAX_QUEUE_DEPTH = 1
    settings.RATELIMIT_ENABLE = False
    assert upload(web, 0).status_code == 202
    caplog.set_level(logging.INFO)
    answers = [upload(web, i) for i in range(1, 141)]
    assert {r.status_code for r in answers} == {503}
    assert {r.json()["error"] for r in answers} == {"queue_full"}
    assert mail.outbox == []
    refusals = [r for r in caplog.records if getattr(r, "status_code", None) == 503]
    assert len(refusals) == 140  # each logged once
    assert {(r.name, r.levelname, r.error) for r in refusals} == {
        ("cv2web.api", "WARNING", "queue_full")
    }


def test_the_upload_pages_queue_full_503_is_not_mailed_either(web, settings):
    settings.EXTRACTION_MAX_QUEUE_DEPTH = 1
    settings.RATELIMIT_ENABLE = False
    assert upload(web, 0).status_code == 202
    for i in range(1, 6):
        cv = SimpleUploadedFile(f"p{i}.txt", b"Page Person %d\n" % i)
        assert web.post("/", {"file": cv}).status_code == 503
    assert mail.outbox == []


@pytest.fixture
def bugs(monkeypatch):
    """Two different bugs: one in the status endpoint, one in the upload page."""
    from extraction import views as extraction_views
    from monitoring import api as monitoring_api

    def status_bug(*args, **kwargs):
        raise RuntimeError("a bug in the status endpoint")

    def page_bug(*args, **kwargs):
        raise KeyError("a bug in the upload page")

    # Under both ways to the status: beside DRF and through it.
    monkeypatch.setattr(monitoring_api, "public_status_payload", status_bug)
    monkeypatch.setattr(extraction_views, "render", page_bug)


def test_50_identical_500s_send_one_mail(web, bugs):
    answers = [web.get("/api/v1/status") for _ in range(50)]
    assert {r.status_code for r in answers} == {500}
    assert len(mail.outbox) == 1
    assert "RuntimeError" in mail.outbox[0].body or "a bug" in mail.outbox[0].body


def test_two_different_bugs_send_two_mails(web, bugs):
    for _ in range(10):
        assert web.get("/api/v1/status").status_code == 500
        assert web.get("/").status_code == 500
    assert len(mail.outbox) == 2
    subjects = " ".join(m.subject for m in mail.outbox)
    assert "/api/v1/status" in subjects and "Internal Server Error: /" in subjects


def test_after_the_interval_the_same_bug_mails_again_saying_how_many_were_not_mailed(web, bugs):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            web.get("/api/v1/status")
    assert len(mail.outbox) == 1
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        web.get("/api/v1/status")
    assert len(mail.outbox) == 2
    assert "4 more like it" in mail.outbox[1].subject + mail.outbox[1].body


def test_without_the_shared_cache_each_process_still_mails_once(web, bugs, settings):
    # The moment errors flood is often the moment the cache is down.
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.05, "socket_timeout": 0.05},
        },
    }
    from cv2web import errormail

    errormail._local = errormail._LocalWindows()
    handler = errormail.ThrottledAdminEmailHandler()
    for _ in range(3):
        try:
            raise ValueError("cache-less bug")
        except ValueError:
            record = logging.getLogger("django.request").makeRecord(
                "django.request", logging.ERROR, __file__, 1, "boom", (), _exc_info()
            )
        handler.emit(record)
    assert len(mail.outbox) == 1


def _exc_info():
    import sys

    return sys.exc_info()


def test_a_suspicious_request_is_a_warning_not_an_error_mail(web, caplog):
    # Django logs SuspiciousOperation (here: a Host header not in
    # ALLOWED_HOSTS) at ERROR on django.security.*; it is a refusal.
    from cv2web.errormail import RefusalLevelFilter, is_refusal

    caplog.set_level(logging.INFO)
    r = web.get("/api/v1/status", HTTP_HOST="evil.example")
    assert r.status_code == 400 and r.json()["error"] == "bad_request"
    assert mail.outbox == []
    (record,) = [r for r in caplog.records if r.name.startswith("django.security")]
    assert is_refusal(record)
    RefusalLevelFilter().filter(record)
    assert record.levelname == "WARNING"
