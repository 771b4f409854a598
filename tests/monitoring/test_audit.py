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
