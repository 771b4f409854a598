"""Every way an owner changes a live portfolio (the edit page, the theme on
the manage page, the API's PATCH) does the same thing, publishing.update:
save, rebuild the live site, and count as the owner's activity."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from portfolios import links
from portfolios.models import Portfolio, State
from portfolios.scan import scan
from portfolios.themes import theme_stylesheet
from tests.helpers import form_values, publish_portfolio

pytestmark = pytest.mark.django_db

LABEL = "Now leading the red team"


def _manage(token: str, portfolio: Portfolio) -> tuple[Client, str]:
    """A browser that opened the private link: its session controls the portfolio."""
    browser = Client()
    r = browser.get(urlsplit(links.manage_link(portfolio, token)).path)
    assert r.status_code == 303
    return browser, r["Location"]


def edit_page(portfolio: Portfolio, token: str) -> None:
    browser, url = _manage(token, portfolio)
    values = form_values(browser.get(links.edit_path(portfolio)))
    values["basics-label"] = LABEL
    assert browser.post(links.edit_path(portfolio), values).status_code == 303


def theme_action(portfolio: Portfolio, token: str) -> None:
    browser, url = _manage(token, portfolio)
    assert browser.post(url + "theme", {"theme": "minimal"}).status_code == 303


def api_patch(portfolio: Portfolio, token: str) -> None:
    api = APIClient(HTTP_X_MANAGE_TOKEN=token)
    resume = {**portfolio.resume, "basics": {**portfolio.resume["basics"], "label": LABEL}}
    r = api.patch(
        f"/api/v1/portfolios/{portfolio.pk}", {"resume": resume, "theme": "minimal"}, format="json"
    )
    assert r.status_code == 200, r.content


@pytest.mark.parametrize(
    ("change", "label", "theme"),
    [
        (edit_page, LABEL, "modern"),
        (theme_action, "Engineer", "minimal"),
        (api_patch, LABEL, "minimal"),
    ],
    ids=["edit page", "theme on the manage page", "API PATCH"],
)
def test_every_change_saves_rebuilds_the_site_and_keeps_it_alive(change, label, theme):
    start = timezone.now()
    out = publish_portfolio(theme="modern")
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        scan()
        portfolio = Portfolio.objects.get(pk=out.portfolio.pk)
        assert portfolio.state == State.IDLE
        change(portfolio, out.token)
        now = timezone.now()
    portfolio.refresh_from_db()
    assert portfolio.resume["basics"]["label"] == label and portfolio.theme == theme
    assert label in (portfolio.sandbox_path / "index.html").read_text()
    assert (portfolio.sandbox_path / "style.css").read_bytes() == theme_stylesheet(theme)
    # The owner's activity: back to ACTIVE, and the retention counts from now.
    assert portfolio.state == State.ACTIVE
    assert portfolio.last_activity_at == now
    assert portfolio.warn_at == now + timedelta(hours=portfolio.retention_hours)
