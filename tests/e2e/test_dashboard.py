"""The staff dashboard in a real browser: charts drawn under the enforced CSP,
and nothing axe-core calls serious."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.models import MetricSample
from tests.helpers import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL = "/admin/monitoring/dashboard/"


@pytest.fixture
def history():
    now = timezone.now()
    MetricSample.objects.bulk_create(
        MetricSample(
            taken_at=now - timedelta(minutes=5 * i),
            active_portfolios=i % 20,
            queue_depth=i % 7,
            extraction_success_rate=0.9,
            cache_hit_rate=0.3,
            average_processing_seconds=12.5,
            memory_percent=40 + i % 10,
            cpu_percent=20,
            disk_percent=55,
        )
        for i in range(300)
    )


def log_in(page, live_server, staff) -> None:
    page.goto(live_server.url + "/admin/login/?next=" + URL)
    page.fill("#id_username", "staff")
    page.fill("#id_password", "pw-staff-1")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{URL}")


@pytest.mark.parametrize("span", ["24h", "30d"])
def test_the_dashboard_draws_its_charts_under_the_enforced_csp(
    page, live_server, staff, history, span
):
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    log_in(page, live_server, staff)
    page.goto(f"{live_server.url}{URL}?range={span}")
    charts = page.locator("svg.chart path")
    assert charts.count() > 5
    # The stylesheet applied (a CSP refusal would leave the page unstyled).
    assert page.locator("svg.chart").first.bounding_box()["width"] > 100
    assert errors == []


def test_axe_finds_no_serious_violation_on_the_dashboard(browser, live_server, staff, history):
    # axe-core is injected as a script, which the CSP refuses: this context ignores CSP.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        log_in(page, live_server, staff)
        assert axe_violations(page) == []
    finally:
        context.close()
