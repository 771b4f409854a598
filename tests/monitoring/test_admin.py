"""The monitoring admin: read-only records, filters that scale, the audit log
that nobody can edit or delete."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring import audit, schedules
from monitoring.models import Alert, AuditLog, JobRun, MetricSample, WorkerHeartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(alice, staff):
    now = timezone.now()
    audit.record("upload", actor=alice, object_type="extraction.document", object_id="1")
    audit.record("admin.portfolio.archive", actor=staff, category=audit.Category.SECURITY)
    audit.record("retention.run", category=audit.Category.SYSTEM, details={"deleted": 3})
    Alert.objects.create(key="memory", message="Memory use is 95%")
    Alert.objects.create(key="capacity", message="16 of 20", resolved_at=now)
    first, second = schedules.SCHEDULES[0].name, schedules.SCHEDULES[1].name
    JobRun.objects.create(
        job=first,
        finished_at=now + timedelta(seconds=2),
        outcome=JobRun.RunOutcome.SUCCEEDED,
        stats={"requeued": 1, "dispatched": 2},
    )
    JobRun.objects.create(
        job=second,
        started_at=now - timedelta(hours=1),
        finished_at=now - timedelta(hours=1),
        outcome=JobRun.RunOutcome.FAILED,
        error="RuntimeError: boom",
    )
    MetricSample.objects.create(active_portfolios=3, cache_hit_rate=0.25)
    WorkerHeartbeat.objects.create(name="host:1")
    WorkerHeartbeat.objects.create(name="host:2", seen_at=now - timedelta(hours=1))


@pytest.mark.parametrize(
    "model", ["auditlog", "alert", "jobrun", "metricsample", "workerheartbeat", "dashboard"]
)
def test_every_changelist_opens(staff_client, rows, model):
    assert staff_client.get(f"/admin/monitoring/{model}/").status_code == 200


@pytest.mark.parametrize("model", ["auditlog", "alert", "jobrun", "metricsample"])
def test_every_changelist_opens_on_its_date_hierarchy(staff_client, rows, model):
    field = {
        "auditlog": "created_at",
        "alert": "opened_at",
        "jobrun": "started_at",
        "metricsample": "taken_at",
    }[model]
    year = timezone.now().year
    response = staff_client.get(f"/admin/monitoring/{model}/", {f"{field}__year": year})
    assert response.status_code == 200


def changelist_rows(response) -> int:
    return response.context["cl"].result_count


def test_the_audit_log_filters_by_kind_of_actor(staff_client, rows):
    url = "/admin/monitoring/auditlog/"
    staff_only = staff_client.get(url, {"who": "staff"})
    # The staff member's own log-in is audited too.
    assert {e.action for e in staff_only.context["cl"].result_list} == {
        "admin.portfolio.archive",
        "auth.login",
    }
    users = staff_client.get(url, {"who": "users"})
    assert [e.action for e in users.context["cl"].result_list] == ["upload"]
    nobody = staff_client.get(url, {"who": "nobody"})
    assert [e.action for e in nobody.context["cl"].result_list] == ["retention.run"]


def test_the_audit_log_finds_a_user_by_name_and_by_link(staff_client, rows, alice):
    url = "/admin/monitoring/auditlog/"
    found = staff_client.get(url, {"q": "ali"})
    assert [e.action for e in found.context["cl"].result_list] == ["upload"]
    html = staff_client.get(url).content.decode()
    assert f'href="?actor__id__exact={alice.pk}"' in html
    only_alice = staff_client.get(url, {"actor__id__exact": alice.pk})
    assert only_alice.status_code == 200
    assert changelist_rows(only_alice) == 1


def test_the_audit_log_filters_by_category_and_action(staff_client, rows):
    url = "/admin/monitoring/auditlog/"
    assert changelist_rows(staff_client.get(url, {"category__exact": "system"})) == 1
    assert changelist_rows(staff_client.get(url, {"action__exact": "upload"})) == 1


def test_the_audit_log_cannot_be_added_edited_or_deleted(staff_client, rows):
    entry = AuditLog.objects.get(action="upload")
    base = f"/admin/monitoring/auditlog/{entry.pk}"
    view = staff_client.get(f"{base}/change/")
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    assert staff_client.post(f"{base}/change/", {"action": "forged"}).status_code == 403
    assert staff_client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    assert staff_client.get("/admin/monitoring/auditlog/add/").status_code == 403
    listing = staff_client.get("/admin/monitoring/auditlog/")
    assert "delete_selected" not in listing.content.decode()
    bulk = staff_client.post(
        "/admin/monitoring/auditlog/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    # No action ran: the list is shown again (an action that ran would redirect).
    assert bulk.status_code == 200 and "upload" in bulk.content.decode()
    entry.refresh_from_db()
    assert entry.action == "upload"
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_alerts_filter_open_and_resolved(staff_client, rows):
    url = "/admin/monitoring/alert/"
    open_ = staff_client.get(url, {"state": "open"})
    assert [a.key for a in open_.context["cl"].result_list] == ["memory"]
    resolved = staff_client.get(url, {"state": "resolved"})
    assert [a.key for a in resolved.context["cl"].result_list] == ["capacity"]
    assert changelist_rows(staff_client.get(url, {"key": "memory"})) == 1


def test_job_runs_filter_by_job_and_outcome_and_read_only(staff_client, rows):
    url = "/admin/monitoring/jobrun/"
    first = schedules.SCHEDULES[0].name
    by_job = staff_client.get(url, {"job": first})
    assert [r.job for r in by_job.context["cl"].result_list] == [first]
    failed = staff_client.get(url, {"outcome__exact": "failed"})
    assert [r.outcome for r in failed.context["cl"].result_list] == ["failed"]
    html = staff_client.get(url).content.decode()
    assert "requeued: 1, dispatched: 2" in html and "2.0 s" in html
    assert "/static/css/admin-dashboard.css" in html
    run = JobRun.objects.get(job=first)
    detail = staff_client.get(f"{url}{run.pk}/change/").content.decode()
    assert "&quot;dispatched&quot;: 2" in detail and 'name="_save"' not in detail
    assert staff_client.post(f"{url}{run.pk}/delete/", {"post": "yes"}).status_code == 403


def test_samples_and_heartbeats_are_read_only(staff_client, rows):
    sample = MetricSample.objects.get()
    assert "25%" in staff_client.get("/admin/monitoring/metricsample/").content.decode()
    assert (
        staff_client.post(f"/admin/monitoring/metricsample/{sample.pk}/delete/", {"post": "yes"})
    ).status_code == 403
    beats = staff_client.get("/admin/monitoring/workerheartbeat/")
    alive = {
        b.name: beats.context["cl"].model_admin.alive(b) for b in beats.context["cl"].result_list
    }
    assert alive == {"host:1": True, "host:2": False}
    assert staff_client.get("/admin/monitoring/workerheartbeat/add/").status_code == 403


def test_the_dashboard_has_no_add_or_change_pages(staff_client):
    assert staff_client.get("/admin/monitoring/dashboard/add/").status_code == 404
