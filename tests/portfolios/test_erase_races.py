"""Issue 10, item 14: an erase racing an edit or an archive (SPEC P-7, S-4).

Before: `DELETE` at the same moment as a `PATCH` or `POST .../archive` gave 500
(`Portfolio.DoesNotExist`) most of the time, and otherwise the PATCH rebuilt
the sandbox after the erase, leaving the erased person's site on disk with no
row pointing at it. Threads against the suite's database (PostgreSQL in the
PostgreSQL run, where the row lock is real; SQLite serialises writers).
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from portfolios import publishing
from portfolios.models import Portfolio
from tests.helpers import publish_portfolio

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/portfolios"
PAIRS = 20


@pytest.fixture
def roomy(settings, tmp_path):
    settings.SANDBOX_DIR = tmp_path / "sandboxes"
    settings.RATELIMIT_ENABLE = False
    settings.PORTFOLIO_CAPACITY = settings.PORTFOLIO_OVERFLOW_CAPACITY = 100
    settings.PORTFOLIO_EMERGENCY_CAPACITY = 100
    return settings


def _published(n: int) -> tuple[str, str]:
    out = publish_portfolio(
        {"basics": {"name": f"Erased Person {n}", "email": f"p{n}@example.com"}},
        "classic",
        client="127.0.0.1",  # the test client's own address
        limit=5,
    )
    return str(out.portfolio.pk), out.token


def _race(first, second) -> list[int]:
    """Run both at once, each in its own thread (its own connection)."""
    start = threading.Barrier(2)
    codes: list[int] = []

    def run(call):
        try:
            start.wait()
            codes.append(call().status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return codes


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_MANAGE_TOKEN=token)
    return client


def _assert_nothing_left(root: Path) -> None:
    left = [p.name for p in root.iterdir()] if root.exists() else []
    assert left == [], f"sandbox folders left without a row: {left}"


@pytest.mark.parametrize("other", ["patch", "archive"])
def test_erase_racing_an_edit_or_an_archive_gives_no_5xx_and_leaves_nothing(roomy, other):
    seen: Counter[int] = Counter()
    for n in range(PAIRS):
        pid, token = _published(n)
        erase, change = _client(token), _client(token)

        def do_erase():
            return erase.delete(f"{URL}/{pid}")

        def do_other():
            if other == "patch":
                return change.patch(
                    f"{URL}/{pid}", {"resume": {"basics": {"name": "Edited"}}}, format="json"
                )
            return change.post(f"{URL}/{pid}/archive")

        codes = _race(do_erase, do_other)
        assert len(codes) == 2 and all(code < 500 for code in codes), codes
        seen.update(codes)
        assert not Portfolio.objects.filter(pk=pid).exists()
    assert seen[204] == PAIRS  # every erase went through
    _assert_nothing_left(Path(roomy.SANDBOX_DIR))


def test_an_edit_that_finds_its_row_erased_is_404_not_500(roomy, monkeypatch):
    """The deterministic form of the race: the row goes between the caller's
    read and the update's lock."""
    pid, token = _published(0)
    real_update = publishing.update

    def erase_first(portfolio, **kwargs):
        publishing.erase(Portfolio.objects.get(pk=portfolio.pk))
        return real_update(portfolio, **kwargs)

    monkeypatch.setattr(publishing, "update", erase_first)
    r = _client(token).patch(f"{URL}/{pid}", {"theme": "minimal"}, format="json")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    _assert_nothing_left(Path(roomy.SANDBOX_DIR))


def test_an_archive_that_finds_its_row_erased_is_404_not_500(roomy, monkeypatch):
    pid, token = _published(0)
    real_archive = publishing.archive

    def erase_after(portfolio, **kwargs):
        moved = real_archive(portfolio, **kwargs)
        publishing.erase(Portfolio.objects.get(pk=portfolio.pk))
        return moved

    monkeypatch.setattr(publishing, "archive", erase_after)
    r = _client(token).post(f"{URL}/{pid}/archive")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    _assert_nothing_left(Path(roomy.SANDBOX_DIR))


def test_a_build_that_ends_after_the_erase_removes_its_own_folder(roomy, monkeypatch):
    """A public visit rebuilding a missing sandbox while the portfolio is erased."""
    from portfolios import sandbox

    pid, _token = _published(0)
    portfolio = Portfolio.objects.get(pk=pid)
    sandbox.remove(portfolio)
    Portfolio.objects.filter(pk=pid).delete()  # erased after the row was read
    sandbox.build(portfolio)
    assert not portfolio.sandbox_path.exists()
