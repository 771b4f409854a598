"""The staff dashboard in the admin (SPEC M-5): who may see it, what it shows,
its charts over 24 hours and 30 days, and its "run now" button."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django_q.models import Schedule

from monitoring import charts, dashboard, schedules
from monitoring.models import Alert, AuditLog, JobRun, MetricSample

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 7, tzinfo=UTC)
URL = "/admin/monitoring/dashboard/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def samples(days: int) -> None:
    """`days` of 5-minute samples, as the sampler writes them."""
    MetricSample.objects.bulk_create(
        MetricSample(
            taken_at=NOW - timedelta(minutes=5 * i),
            active_portfolios=i % 20,
            queue_depth=i % 7,
            extraction_success_rate=0.9,
            cache_hit_rate=None if i % 2 else 0.5,
            average_processing_seconds=12.5,
            memory_percent=40 + i % 10,
            cpu_percent=20.0,
            disk_percent=55.0,
            model_quota_percent=80.0,
            average_lifetime_hours=30.0,
        )
        for i in range(days * 24 * 12)
    )


@pytest.fixture
def one_day():
    samples(1)


@pytest.fixture
def thirty_days():
    samples(30)


def line_paths(html: str) -> list[str]:
    return re.findall(r'<path class="chart-line" d="M([^"]*)"', html)


def test_staff_see_the_dashboard_before_any_sample(staff_client):
    response = staff_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Monitoring dashboard" in html
    assert "Portfolio places" in html and "Extraction queue" in html
    assert html.count("No data for this period") == len(dashboard.CHARTS)
    assert html.count("Never run yet.") == len(schedules.SCHEDULES)
    assert f"{len(schedules.SCHEDULES)} of {len(schedules.SCHEDULES)} jobs are not in" in html
    assert "No open alerts" in html


def test_staff_see_charts_of_the_last_24_hours(staff_client, one_day):
    html = staff_client.get(URL).content.decode()
    paths = line_paths(html)
    assert len(paths) >= 9  # every chart but the cache, whose samples alternate with gaps
    assert "Last 24 hours" in html
    assert ">15:00</text>" in html  # hour ticks
    assert all(len(p.split()) <= charts.MAX_POINTS for p in paths)


def test_the_thirty_day_charts_are_downsampled(staff_client, thirty_days):
    response = staff_client.get(URL, {"range": "30d"})
    html = response.content.decode()
    paths = line_paths(html)
    assert paths
    assert all(len(p.split()) <= charts.MAX_POINTS for p in paths)
    assert ">20 Nov</text>" in html  # date ticks
    assert '<strong aria-current="page">Last 30 days</strong>' in html


def test_an_unknown_range_falls_back_to_24_hours(staff_client):
    response = staff_client.get(URL, {"range": "<script>"})
    assert response.status_code == 200
    assert '<strong aria-current="page">Last 24 hours</strong>' in response.content.decode()


def test_visitors_and_users_are_sent_to_the_login_page(client, alice):
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(alice)
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_without_permissions_see_it_but_cannot_run_jobs(client, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    response = client.get(URL)
    assert response.status_code == 200
    assert "Run now" not in response.content.decode()
    index = client.get("/admin/").content.decode()
    assert 'href="/admin/monitoring/dashboard/"' in index
    run = client.post(URL + "run/", {"job": schedules.SCHEDULES[0].name})
    assert run.status_code == 403
    assert not JobRun.objects.exists()


def test_the_admin_index_links_the_dashboard_under_monitoring(staff_client):
    html = staff_client.get("/admin/").content.decode()
    assert 'href="/admin/monitoring/dashboard/"' in html


def test_open_alerts_link_to_the_alert_admin(staff_client):
    alert = Alert.objects.create(key="memory", message="Memory use is 95% <high>", value=95)
    Alert.objects.create(key="old", message="Resolved long ago", resolved_at=NOW)
    html = staff_client.get(URL).content.decode()
    assert reverse("admin:monitoring_alert_change", args=[alert.pk]) in html
    assert "Memory use is 95% &lt;high&gt;" in html
    assert "Resolved long ago" not in html


def test_the_last_run_of_every_job_with_its_next_slot(staff_client):
    job = schedules.SCHEDULES[0]
    JobRun.objects.create(
        job=job.name,
        started_at=NOW - timedelta(hours=2),
        finished_at=NOW - timedelta(hours=2) + timedelta(seconds=3),
        outcome=JobRun.RunOutcome.FAILED,
        stats={"requeued": 3},
        error="boom <b>",
    )
    JobRun.objects.create(
        job=job.name,
        started_at=NOW - timedelta(minutes=1),
        finished_at=NOW - timedelta(minutes=1) + timedelta(seconds=2),
        outcome=JobRun.RunOutcome.SUCCEEDED,
        stats={"requeued": 0, "dispatched": 4},
    )
    Schedule.objects.create(
        name=job.name, func="monitoring.tasks.run_job", next_run=NOW + timedelta(minutes=1)
    )
    html = staff_client.get(URL).content.decode()
    assert "dispatched: 4" in html and "2.0 s" in html
    assert "boom" not in html  # the newest run is shown, not the failed one
    assert "2026-11-20 12:08" in html  # next run
    assert html.count("Never run yet.") == len(schedules.SCHEDULES) - 1


def test_a_late_job_says_so(staff_client):
    job = schedules.SCHEDULES[0]
    Schedule.objects.create(
        name=job.name, func="monitoring.tasks.run_job", next_run=NOW - timedelta(hours=1)
    )
    assert ">late</strong>" in staff_client.get(URL).content.decode()


def test_the_number_of_queries_does_not_grow_with_history(
    staff_client, thirty_days, django_assert_max_num_queries
):
    for job in schedules.SCHEDULES:
        JobRun.objects.create(
            job=job.name, finished_at=NOW, outcome=JobRun.RunOutcome.SUCCEEDED, stats={"n": 1}
        )
    for i in range(5):
        Alert.objects.create(key=f"k{i}", message="m")
    staff_client.get(URL)  # warm caches (content types, the CPU reading)
    # Session and user, capacity, queue, live figures, worker, alerts, the
    # django-q2 schedules, one indexed query per job, and one for the history.
    with django_assert_max_num_queries(20 + len(schedules.SCHEDULES)):
        response = staff_client.get(URL, {"range": "30d"})
    assert response.status_code == 200


def test_live_figures_that_cannot_be_read_fall_back_to_the_last_sample(staff_client, monkeypatch):
    import psutil

    MetricSample.objects.create(taken_at=NOW - timedelta(minutes=3), memory_percent=61.0)

    def broken():
        raise OSError("no /proc")

    monkeypatch.setattr(psutil, "virtual_memory", broken)
    html = staff_client.get(URL).content.decode()
    assert "Live figures could not be read" in html and "61%" in html


def test_the_page_needs_no_inline_script_or_style(staff_client, one_day):
    response = staff_client.get(URL)
    html = response.content.decode()
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "/static/css/admin-dashboard.css" in html
    assert "style-src 'self'" in response["Content-Security-Policy"]


# --- Run now -----------------------------------------------------------------------


def fake_job(dry_run: bool = False) -> dict:
    return {"cleaned": 2}


def failing_job(dry_run: bool = False) -> dict:
    raise RuntimeError("disk full")


@pytest.fixture
def registered(monkeypatch):
    def register(name: str, func: str):
        job = schedules.ScheduledJob(
            name=name, run=func, command="x", schedule_type=schedules.MINUTES, minutes=1
        )
        monkeypatch.setitem(schedules.BY_NAME, name, job)

    return register


def test_run_now_runs_the_job_and_records_it(staff_client, registered):
    registered("test job", "tests.monitoring.test_dashboard.fake_job")
    response = staff_client.post(URL + "run/", {"job": "test job", "range": "30d"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("?range=30d")
    run = JobRun.objects.get(job="test job")
    assert run.outcome == JobRun.RunOutcome.SUCCEEDED and run.stats == {"cleaned": 2}
    assert "“test job” ran: cleaned: 2." in response.content.decode()
    entry = AuditLog.objects.get(action="admin.job.run")
    assert entry.details == {"job": "test job", "outcome": "succeeded"}
    assert entry.actor.username == "staff"


def test_run_now_reports_a_failure_without_an_error_page(staff_client, registered):
    registered("bad job", "tests.monitoring.test_dashboard.failing_job")
    response = staff_client.post(URL + "run/", {"job": "bad job"}, follow=True)
    assert response.status_code == 200
    assert "“bad job” failed: RuntimeError: disk full" in response.content.decode()
    assert JobRun.objects.get(job="bad job").outcome == JobRun.RunOutcome.FAILED


def test_run_now_refuses_unknown_jobs_and_get(staff_client):
    response = staff_client.post(URL + "run/", {"job": "rm -rf"}, follow=True)
    assert "There is no scheduled job of that name." in response.content.decode()
    assert staff_client.get(URL + "run/").status_code == 405
    assert not JobRun.objects.exists()
