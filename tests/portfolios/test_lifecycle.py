"""Publishing, the lifecycle, capacity and the waiting list, and public serving."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from monitoring.models import AuditLog
from portfolios import capacity, lifecycle, publishing
from portfolios.models import CapacityControl, Portfolio, PortfolioRequest, RequestState, State
from portfolios.publishing import PublishError
from portfolios.scan import scan
from tests.helpers import publish_portfolio

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _confirmed_addresses(db):
    """The addresses these tests publish with have confirmed them: an
    unconfirmed one gets a confirmation mail instead of any lifecycle mail
    (SPEC S-5; tests/quotas/test_mail_confirmation.py)."""
    from quotas.models import EmailAddress

    for address in ("ada@example.com", "someone@example.com"):
        EmailAddress.objects.for_address(address).confirm()


def test_publishing_builds_the_sandbox_and_goes_live():
    out = publish_portfolio(email="ada@example.com")
    p = out.portfolio
    assert p.state == State.ACTIVE and p.published_at
    assert (p.sandbox_path / "index.html").is_file()
    assert p.slug.startswith("ada-example-")
    assert p.check_token(out.token) and not p.check_token("wrong")
    assert len(mail.outbox) == 1 and out.token in mail.outbox[0].body


def test_a_double_submitted_publish_makes_one_portfolio():
    first = publish_portfolio(client="c1", key="form-key-1")
    second = publish_portfolio(client="c1", key="form-key-1")
    assert second.portfolio.pk == first.portfolio.pk and second.token is None
    assert Portfolio.objects.count() == 1


def test_unknown_theme_and_a_document_without_a_name_are_refused():
    with pytest.raises(PublishError) as err:
        publish_portfolio(theme="nope")
    assert err.value.code == "unknown_theme"
    with pytest.raises(PublishError) as err:
        publish_portfolio(resume={"basics": {"email": "x@example.com"}})
    assert err.value.code == "name_required"
    assert Portfolio.objects.count() == 0


def test_the_tier_limit_of_active_portfolios_offers_the_oldest_to_archive():
    first = publish_portfolio(client="same", limit=1).portfolio
    with pytest.raises(PublishError) as err:
        publish_portfolio(client="same", limit=1)
    assert err.value.code == "portfolio_limit" and err.value.extra["oldest"] == str(first.pk)


def test_at_capacity_publications_wait_in_order_and_drain_when_places_free(settings):
    settings.PORTFOLIO_CAPACITY = 2
    settings.CAPACITY_HIGH_DEMAND_AT = 2
    settings.CAPACITY_WARN_AT = 1
    live = [publish_portfolio().portfolio for _ in range(2)]
    waiting = [publish_portfolio().request for _ in range(3)]
    assert [capacity.position_of(r) for r in waiting] == [1, 2, 3]
    assert all(capacity.eta_seconds(i + 1) > 0 for i in range(3))
    assert capacity.status().state == "full"
    publishing.archive(live[0])
    for r in waiting:
        r.refresh_from_db()
    assert [r.state for r in waiting] == [
        RequestState.PUBLISHED,
        RequestState.WAITING,
        RequestState.WAITING,
    ]
    assert waiting[0].portfolio.state == State.ACTIVE
    assert capacity.position_of(waiting[1]) == 1
    assert Portfolio.objects.holding_sandbox().count() == 2


def test_registered_users_may_use_the_overflow(settings):
    settings.PORTFOLIO_CAPACITY = 1
    settings.CAPACITY_HIGH_DEMAND_AT = 1
    settings.CAPACITY_WARN_AT = 1
    settings.PORTFOLIO_OVERFLOW_CAPACITY = 2
    publish_portfolio()
    assert publish_portfolio().waiting
    out = publish_portfolio(tier="registered")
    assert not out.waiting and out.portfolio.overflow
    assert publish_portfolio(tier="registered").waiting


def test_emergency_mode_raises_capacity(settings):
    settings.PORTFOLIO_CAPACITY = 1
    settings.CAPACITY_HIGH_DEMAND_AT = 1
    settings.CAPACITY_WARN_AT = 1
    settings.PORTFOLIO_EMERGENCY_CAPACITY = 3
    publish_portfolio()
    assert publish_portfolio().waiting
    CapacityControl.objects.update_or_create(pk=1, defaults={"emergency": True})
    assert capacity.status().state == "emergency"
    assert publishing.drain() == 1  # who waited goes first
    assert not publish_portfolio().waiting
    assert publish_portfolio().waiting  # 3 places in emergency mode


def test_a_portfolio_walks_its_whole_lifecycle_and_is_restored():
    start = timezone.now()
    p = publish_portfolio(email="ada@example.com").portfolio
    mail.outbox.clear()
    with time_machine.travel(start + timedelta(hours=1, minutes=1), tick=False):
        assert scan()["to_idle"] == 1
    p.refresh_from_db()
    assert p.state == State.IDLE
    with time_machine.travel(start + timedelta(hours=24, minutes=1), tick=False):
        stats = scan()
    p.refresh_from_db()
    assert stats["to_warning"] == 1 and p.state == State.WARNING
    assert len(mail.outbox) == 1 and "archived" in mail.outbox[0].subject
    with time_machine.travel(start + timedelta(hours=24, minutes=32), tick=False):
        assert scan()["archived"] == 1
    p.refresh_from_db()
    assert p.state == State.ARCHIVED and not p.sandbox_path.exists()
    assert p.resume == Portfolio.objects.get(pk=p.pk).resume  # the data stays
    out = publishing.restore(p)
    p.refresh_from_db()
    assert out.portfolio and p.state == State.ACTIVE and (p.sandbox_path / "index.html").exists()
    moves = list(
        AuditLog.objects.filter(object_id=str(p.pk), action="portfolio.transition")
        .order_by("id")
        .values_list("details__to", flat=True)
    )
    assert moves == ["active", "idle", "warning", "cleanup", "archived", "creating", "active"]


def test_keep_alive_in_warning_returns_to_active():
    start = timezone.now()
    p = publish_portfolio().portfolio
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        scan()
        p.refresh_from_db()
        assert p.state == State.WARNING
        assert lifecycle.touch(p)
    p.refresh_from_db()
    assert p.state == State.ACTIVE and p.warned_at is None
    assert p.warn_at > start + timedelta(hours=48)


def test_only_the_listed_transitions_are_possible():
    p = publish_portfolio().portfolio
    with pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.transition(p, State.ARCHIVED)


def test_the_scan_needs_the_same_number_of_queries_for_few_and_many(django_assert_max_num_queries):
    start = timezone.now()
    for _ in range(3):
        publish_portfolio()
    with (
        time_machine.travel(start + timedelta(hours=2), tick=False),
        django_assert_max_num_queries(30) as few,
    ):
        scan()
    for _ in range(12):
        publish_portfolio()
    with (
        time_machine.travel(start + timedelta(hours=3), tick=False),
        django_assert_max_num_queries(30) as many,
    ):
        scan()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_erase_removes_portfolio_sandbox_upload_and_extraction_results(api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from extraction import queue, runner
    from extraction.models import CacheEntry, Document, ExtractionJob

    r = api.post(
        "/api/v1/extractions",
        {"file": SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n")},
        format="multipart",
    )
    runner.run_job(queue.claim_next("w"))
    job = ExtractionJob.objects.get(pk=r.json()["id"])
    upload = job.document.path
    p = publish_portfolio(resume=job.result, source_job=job).portfolio
    publishing.erase(p)
    assert not Portfolio.objects.exists() and not p.sandbox_path.exists()
    assert not Document.objects.exists() and not upload.exists()
    assert not ExtractionJob.objects.exists() and not CacheEntry.objects.exists()


# --- Public pages ------------------------------------------------------------------


def test_the_public_page_is_served_with_caching_headers(client):
    p = publish_portfolio().portfolio
    r = client.get(f"/p/{p.slug}/")
    assert r.status_code == 200 and b"Ada Example" in r.content
    assert "max-age=300" in r["Cache-Control"] and "public" in r["Cache-Control"]
    again = client.get(f"/p/{p.slug}/", HTTP_IF_NONE_MATCH=r["ETag"])
    assert again.status_code == 304
    for name in ("style.css", "resume.json", "contact.vcf", "site.zip"):
        assert client.get(f"/p/{p.slug}/{name}").status_code == 200
    assert client.get(f"/p/{p.slug}/../../etc/passwd").status_code == 404
    assert client.get("/p/no-such-portfolio/").status_code == 404


def test_an_archived_portfolio_says_so_with_410(client):
    p = publish_portfolio().portfolio
    publishing.archive(p)
    r = client.get(f"/p/{p.slug}/")
    assert r.status_code == 410 and b"archived" in r.content


def test_a_sandbox_removed_by_hand_is_rebuilt(client):
    import shutil

    p = publish_portfolio().portfolio
    shutil.rmtree(p.sandbox_path)
    assert client.get(f"/p/{p.slug}/").status_code == 200
    assert (p.sandbox_path / "index.html").exists()


def test_a_sandbox_that_cannot_be_rebuilt_is_a_503_to_retry_not_a_500(client):
    import shutil

    p = publish_portfolio().portfolio
    shutil.rmtree(p.sandbox_path)
    # A theme retired since: the site cannot be rendered until it is back.
    Portfolio.objects.filter(pk=p.pk).update(theme="retired")
    r = client.get(f"/p/{p.slug}/")
    assert r.status_code == 503 and r["Retry-After"] == "60"
    assert not p.sandbox_path.exists()
    Portfolio.objects.filter(pk=p.pk).update(theme=p.theme)
    assert client.get(f"/p/{p.slug}/").status_code == 200


def test_a_public_visit_counts_as_activity_once_a_minute(client):
    p = publish_portfolio().portfolio
    start = timezone.now()
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        scan()
        client.get(f"/p/{p.slug}/")
        client.get(f"/p/{p.slug}/")
    p.refresh_from_db()
    assert p.state == State.ACTIVE and p.visits == 1


def test_html_in_the_document_is_escaped_on_the_public_page(client):
    evil = {"basics": {"name": "<script>alert(1)</script>Eve", "summary": "<img src=x>"}}
    p = publish_portfolio(resume=evil).portfolio
    body = client.get(f"/p/{p.slug}/").content
    assert b"<script>alert(1)" not in body and b"<img src=x>" not in body


def test_restoring_at_capacity_waits_without_overshoot(settings):
    settings.PORTFOLIO_CAPACITY = 1
    settings.CAPACITY_HIGH_DEMAND_AT = 1
    settings.CAPACITY_WARN_AT = 1
    p = publish_portfolio().portfolio
    publishing.archive(p)
    publish_portfolio()
    out = publishing.restore(p)
    assert out.waiting and Portfolio.objects.holding_sandbox().count() == 1
    assert PortfolioRequest.objects.get(restore=True).portfolio_id == p.pk


@pytest.mark.parametrize("hours", [2, 25, 25.6], ids=["idle", "warning", "cleanup"])
def test_every_scan_step_takes_as_many_queries_for_many_portfolios_as_for_few(hours):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run(n: int) -> int:
        Portfolio.objects.all().delete()
        start = timezone.now()
        for _ in range(n):
            publish_portfolio(email="someone@example.com")
        counts = []
        for h in sorted({1.5, 25, hours}):
            if h > hours:
                break
            with (
                time_machine.travel(start + timedelta(hours=h), tick=False),
                CaptureQueriesContext(connection) as queries,
            ):
                scan()
            counts.append(len(queries.captured_queries))
        return counts[-1]

    few, many = run(2), run(9)
    # Transitions are set-based; only each mail's consent check (SPEC S-5: one
    # query for an address that has confirmed) grows with the portfolios mailed.
    mails = 0 if hours == 2 else 9 - 2
    assert few <= many <= few + mails, (few, many)


def test_high_demand_warns_the_longest_idle_portfolios_early(settings):
    settings.CAPACITY_WARN_AT = 2
    settings.CAPACITY_HIGH_DEMAND_AT = 3
    settings.PORTFOLIO_CAPACITY = 4
    start = timezone.now()
    first = publish_portfolio().portfolio
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        second = publish_portfolio().portfolio
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        publish_portfolio()
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        stats = scan()  # all idle; 3 in use >= 3: one must make room
    assert stats["accelerated"] == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == State.WARNING and second.state == State.IDLE
    assert capacity.status().state == "high_demand"


def test_a_bulk_transition_audits_each_portfolio_it_moved_and_no_other():
    moved = [publish_portfolio().portfolio for _ in range(3)]
    stays = publish_portfolio().portfolio
    at = timezone.now() + timedelta(seconds=1)
    AuditLog.objects.all().delete()
    lifecycle.bulk_transition(
        Portfolio.objects.filter(pk__in=[p.pk for p in moved]),
        State.ACTIVE,
        State.IDLE,
        at,
        "no activity",
    )
    rows = AuditLog.objects.filter(action="portfolio.transition")
    assert sorted(rows.values_list("object_id", flat=True)) == sorted(str(p.pk) for p in moved)
    for row in rows:
        assert row.category == AuditLog.Category.SYSTEM and row.created_at == at
        assert row.object_type == "portfolios.portfolio" and row.actor is None
        assert row.details == {"from": "active", "to": "idle", "reason": "no activity"}
    assert not AuditLog.objects.filter(object_id=str(stays.pk)).exists()


def test_live_is_one_set_of_states_on_the_row_and_in_queries():
    for state in State:
        Portfolio.objects.filter(pk=publish_portfolio().portfolio.pk).update(state=state)
    live = {p.state for p in Portfolio.objects.live()}
    assert live == {State.ACTIVE, State.IDLE, State.WARNING}
    assert {p.state for p in Portfolio.objects.all() if p.is_live} == live
