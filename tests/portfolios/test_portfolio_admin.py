"""Staff tools for portfolios: list, lifecycle actions, waiting list, emergency switch."""

from __future__ import annotations

import pytest

from monitoring.models import AuditLog
from portfolios.models import CapacityControl, Portfolio, State
from tests.helpers import publish_portfolio

pytestmark = pytest.mark.django_db


def test_the_list_shows_state_owner_tier_activity_and_time_to_cleanup(staff_client):
    for i in range(2):
        publish_portfolio({"basics": {"name": f"Admin P{i}"}}, "minimal", limit=5)
    r = staff_client.get("/admin/portfolios/portfolio/?state=active&q=Admin")
    text = r.content.decode()
    assert r.status_code == 200 and "Admin P0" in text and "Cleanup in" in text
    assert " h " in text  # a time left, in words


def test_actions_archive_restore_keep_alive_and_clean_up(staff_client):
    p = publish_portfolio({"basics": {"name": "Admin P0"}}, "minimal", limit=5).portfolio
    url = "/admin/portfolios/portfolio/"
    staff_client.post(url, {"action": "archive_now", "_selected_action": [p.pk]})
    assert Portfolio.objects.get().state == State.ARCHIVED
    staff_client.post(url, {"action": "restore", "_selected_action": [p.pk]})
    assert Portfolio.objects.get().state == State.ACTIVE
    Portfolio.objects.update(state=State.WARNING)
    staff_client.post(url, {"action": "keep_alive", "_selected_action": [p.pk]})
    assert Portfolio.objects.get().state == State.ACTIVE
    staff_client.post(url, {"action": "clean_up_now", "_selected_action": [p.pk]})
    assert Portfolio.objects.get().state == State.ARCHIVED
    assert AuditLog.objects.filter(action__startswith="admin.portfolio.").count() == 4


def test_the_waiting_list_and_the_emergency_switch(staff_client, settings):
    settings.PORTFOLIO_CAPACITY = settings.CAPACITY_HIGH_DEMAND_AT = 1
    settings.CAPACITY_WARN_AT = 1
    settings.PORTFOLIO_EMERGENCY_CAPACITY = 3
    for i in range(3):
        publish_portfolio({"basics": {"name": f"Admin P{i}"}}, "minimal", limit=5)
    r = staff_client.get("/admin/portfolios/portfoliorequest/")
    assert r.status_code == 200 and "Position" in r.content.decode()
    CapacityControl.current()
    r = staff_client.post("/admin/portfolios/capacitycontrol/1/change/", {"emergency": "on"})
    assert r.status_code == 302
    assert CapacityControl.current().emergency
    # Switching it on hands the new places to those waiting.
    assert Portfolio.objects.holding_sandbox().count() == 3
    assert AuditLog.objects.filter(action="admin.emergency_mode").exists()
