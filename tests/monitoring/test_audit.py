"""What the audit log records beyond the apps' own calls (SPEC M-1)."""

from __future__ import annotations

import pytest

from monitoring.models import Alert, AuditLog

pytestmark = pytest.mark.django_db


def test_a_change_made_in_the_admin_is_audited_as_security(client, staff):
    from django.contrib.auth.models import User

    client.force_login(staff)
    bob = User.objects.create_user("bob", "bob@example.com", "pw-bob-12345")
    response = client.post(f"/admin/auth/user/{bob.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    entry = AuditLog.objects.get(action="admin.deleted")
    assert entry.category == "security"
    assert entry.actor == staff
    assert entry.object_type == "auth.user" and entry.object_id == str(bob.pk)
    assert entry.details["object"] == "bob"


def test_an_admin_edit_records_what_changed(client, staff):
    alert = Alert.objects.create(key="memory", message="m")
    from django.contrib.admin.models import CHANGE, LogEntry

    LogEntry.objects.log_actions(
        user_id=staff.pk,
        queryset=[alert],
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": ["Message"]}}],
        single_object=True,
    )
    entry = AuditLog.objects.get(action="admin.changed")
    assert entry.object_type == "monitoring.alert"
    assert "Message" in entry.details["change"]


def test_rows_recorded_together_are_written_as_the_block_ends_and_only_then():
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from monitoring import audit

    with CaptureQueriesContext(connection) as seen, transaction.atomic():
        with audit.together():
            first = audit.record("t.first", details={"n": 1})
            with audit.together():  # inside another: written by the outer one
                second = audit.record("t.second", object_type="x", object_id="7")
            assert first.pk is None and not AuditLog.objects.filter(action="t.first").exists()
        assert first.pk is not None and second.pk is not None
    inserts = [q["sql"] for q in seen.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert AuditLog.objects.get(pk=first.pk).details == {"n": 1}
    assert AuditLog.objects.get(pk=second.pk).object_id == "7"
    # Outside a block each row is written at once, as before.
    third = audit.record("t.third")
    assert third.pk is not None


def test_rows_recorded_together_are_not_written_when_the_block_raises():
    from monitoring import audit

    with pytest.raises(RuntimeError), audit.together():
        audit.record("t.lost")
        raise RuntimeError("refused")
    assert not AuditLog.objects.filter(action="t.lost").exists()
    audit.record("t.after")  # the block's state does not outlive it
    assert AuditLog.objects.filter(action="t.after").exists()
