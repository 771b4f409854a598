"""Staff tools: the queue in order with positions, actions, the cache."""

from __future__ import annotations

import pytest

from extraction.models import CacheEntry, JobState, Priority
from monitoring.models import AuditLog
from tests.helpers import enqueue

pytestmark = pytest.mark.django_db


def test_the_queue_lists_waiting_jobs_in_order_with_positions(staff_client):
    enqueue(priority=Priority.NEW)
    enqueue(priority=Priority.PREMIUM)
    r = staff_client.get("/admin/extraction/extractionjob/")
    assert r.status_code == 200
    text = r.content.decode()
    assert "Position" in text
    premium = text.index("Premium")
    new = text.index("New visitor")
    assert premium < new


def test_actions_retry_cancel_and_move_to_front(staff_client):
    from extraction import queue

    a = enqueue()
    b = enqueue()
    url = "/admin/extraction/extractionjob/"
    staff_client.post(url, {"action": "move_jobs_to_front", "_selected_action": [b.pk]})
    assert queue.claim_next("w").pk == b.pk
    staff_client.post(url, {"action": "cancel_jobs", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert a.state == JobState.CANCELLED
    staff_client.post(url, {"action": "retry_jobs", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert a.state == JobState.QUEUED and a.attempts == 0
    assert AuditLog.objects.filter(action="extraction.moved_to_front", actor__isnull=False).exists()


def test_cache_entries_show_hits_and_can_be_invalidated(staff_client):
    entry = CacheEntry.store(
        sha256="f" * 64,
        fingerprint="fp",
        extractor="local",
        model="",
        result={},
        warnings=[],
        size_bytes=2048,
    )
    r = staff_client.get("/admin/extraction/cacheentry/")
    assert r.status_code == 200 and b"2.0 KB" in r.content
    staff_client.post(
        "/admin/extraction/cacheentry/", {"action": "invalidate", "_selected_action": [entry.pk]}
    )
    assert CacheEntry.lookup(entry.key) is None


def test_a_cache_entry_shows_its_decrypted_result_and_survives_a_lost_key(staff_client):
    entry = CacheEntry.store(
        sha256="e" * 64,
        fingerprint="fp",
        extractor="local",
        model="",
        result={"basics": {"name": "Ada <Lovelace>"}},
        warnings=[],
        size_bytes=10,
    )
    page = staff_client.get(f"/admin/extraction/cacheentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert b"Ada &lt;Lovelace&gt;" in page.content
    # Sealed with a key that was since dropped: the list and the page still open.
    from cryptography.fernet import Fernet
    from django.db import connection

    lost = b"cv2web:enc:1\n" + Fernet(Fernet.generate_key()).encrypt(b"{}")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE extraction_cacheentry SET result = %s WHERE id = %s", [lost.decode(), entry.pk]
        )
    assert staff_client.get("/admin/extraction/cacheentry/").status_code == 200
    page = staff_client.get(f"/admin/extraction/cacheentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert b"opens this entry" in page.content


def test_documents_and_audit_log_are_listed(staff_client):
    enqueue()
    assert staff_client.get("/admin/extraction/document/").status_code == 200
    r = staff_client.get("/admin/monitoring/auditlog/")
    assert r.status_code == 200 and b"extraction.queued" in r.content
    assert staff_client.get("/admin/monitoring/auditlog/add/").status_code == 403


def test_job_detail_page_renders(staff_client):
    job = enqueue()
    assert staff_client.get(f"/admin/extraction/extractionjob/{job.pk}/change/").status_code == 200


def test_the_admin_is_for_staff_only(client, alice):
    job = enqueue()
    client.force_login(alice)
    url = "/admin/extraction/extractionjob/"
    r = client.get(url)
    assert r.status_code == 302 and "/admin/login/" in r["Location"]
    r = client.post(url, {"action": "cancel_jobs", "_selected_action": [job.pk]})
    assert r.status_code == 302 and "/admin/login/" in r["Location"]
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    assert not AuditLog.objects.filter(action__startswith="extraction.cancel").exists()
