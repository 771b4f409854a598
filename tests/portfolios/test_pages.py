"""Publishing and managing portfolios through the server-rendered pages."""

from __future__ import annotations

import pytest

from extraction.models import Document, ExtractionJob
from portfolios import publishing
from portfolios.models import Portfolio, PortfolioRequest, State
from portfolios.themes import theme_stylesheet
from tests.helpers import finished_job, manage_page, manage_url, publish_form, published

pytestmark = pytest.mark.django_db


def test_the_publish_page_offers_every_theme_with_a_preview(client):
    job = finished_job(client)
    assert f"/jobs/{job.pk}/publish" in client.get(f"/jobs/{job.pk}/").content.decode()
    text = client.get(f"/jobs/{job.pk}/publish").content.decode()
    for name in ("classic", "modern", "minimal"):
        assert f'value="{name}"' in text
        assert f"/jobs/{job.pk}/preview/{name}" in text
    assert 'name="publish_key"' in text and 'name="email"' in text
    css = client.get(f"/jobs/{job.pk}/preview/classic/style.css")
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")


def test_publishing_redirects_and_shows_the_manage_link_once(client):
    job = finished_job(client)
    r = publish_form(client, job, email="jane@example.com")
    assert r.status_code == 303
    p = Portfolio.objects.get()
    assert r["Location"] == f"/p/{p.slug}/published"
    assert p.state == State.ACTIVE and p.source_job_id == job.pk
    text = client.get(r["Location"]).content.decode()
    token = manage_url(text).rsplit("/", 1)[1]
    assert p.check_token(token)
    assert f"/p/{p.slug}/" in text
    again = client.get(r["Location"]).content.decode()
    assert token not in again
    assert "shown already" in again and "emailed" in again


def test_a_double_post_with_the_same_key_makes_one_portfolio(client):
    job = finished_job(client)
    first, second = publish_form(client, job), publish_form(client, job)
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Portfolio.objects.count() == 1


def test_a_wrong_manage_token_is_a_404_whatever_the_slug(client):
    job = finished_job(client)
    p, link = published(client, job)
    wrong = "w" * 43
    assert client.get(f"/p/{p.slug}/manage/{wrong}").status_code == 404
    assert client.get(f"/p/no-such-slug/manage/{link.rsplit('/', 1)[1]}").status_code == 404
    assert client.get(f"/p/{p.slug}/manage/{wrong}/archive").status_code == 404
    assert Portfolio.objects.get().state == State.ACTIVE


def test_the_manage_link_trades_its_token_for_the_session(client):
    job = finished_job(client)
    p, link = published(client, job)
    url = manage_page(client, link)
    assert url == f"/p/{p.slug}/manage/"
    page = client.get(url)
    assert page.status_code == 200 and "Online." in page.content.decode()
    # Nothing on the page (its forms and links) carries the token any more.
    assert link.rsplit("/", 1)[1] not in page.content.decode()
    # An old link to a sub-page is traded the same way.
    assert manage_page(client, link + "/edit") == url


def test_a_stranger_without_the_link_cannot_manage_even_from_the_same_address(client):
    """Same address, no cookie, no token: offices and carrier NAT share addresses."""
    from django.test import Client

    job = finished_job(client)
    p, _link = published(client, job)
    stranger = Client()  # the same REMOTE_ADDR as the publisher
    url = f"/p/{p.slug}/manage/"
    page = stranger.get(url)
    assert page.status_code == 403 and "private manage link" in page.content.decode()
    for action in ("keep-alive", "archive", "theme"):
        assert stranger.post(url + action, {"theme": "minimal"}).status_code == 403
    assert stranger.post(url + "delete").status_code == 403
    assert stranger.post(url + "edit", {}).status_code == 403
    assert stranger.get(url + "download/resume.json").status_code == 403
    p.refresh_from_db()
    assert p.state == State.ACTIVE and p.theme == "classic"
    # Nor can it publish or cancel from the publisher's extraction.
    assert stranger.get(f"/jobs/{job.pk}/publish").status_code == 404
    assert stranger.post(f"/jobs/{job.pk}/cancel").status_code == 404
    assert f"/jobs/{job.pk}/publish" not in stranger.get(f"/jobs/{job.pk}/").content.decode()


def test_keep_alive_theme_change_archive_and_restore(client):
    job = finished_job(client)
    p, link = published(client, job)
    url = manage_page(client, link)
    page = client.get(url)
    assert page["Referrer-Policy"] == "same-origin"
    assert "Online." in page.content.decode()
    before = p.warn_at
    r = client.post(url + "keep-alive")
    assert r.status_code == 303 and r["Location"] == url
    assert Portfolio.objects.get().warn_at > before

    r = client.post(url + "theme", {"theme": "minimal"})
    assert r.status_code == 303
    p.refresh_from_db()
    assert p.theme == "minimal"
    assert (p.sandbox_path / "style.css").read_bytes() == theme_stylesheet("minimal")
    assert "Minimal" in client.get(url).content.decode()

    client.post(url + "archive")
    p.refresh_from_db()
    assert p.state == State.ARCHIVED and not (p.sandbox_path / "index.html").exists()
    assert "Restore" in client.get(url).content.decode()

    client.post(url + "restore")
    p.refresh_from_db()
    assert p.state == State.ACTIVE and (p.sandbox_path / "index.html").is_file()


def test_delete_everything_asks_first_then_erases_the_upload(client):
    job = finished_job(client)
    p, link = published(client, job)
    url = manage_page(client, link)
    document = job.document
    confirm = client.get(url + "delete")
    assert confirm.status_code == 200 and "Yes, delete everything" in confirm.content.decode()
    assert Portfolio.objects.exists()
    r = client.post(url + "delete")
    assert r.status_code == 303
    assert "Deleted" in client.get(r["Location"]).content.decode()
    assert not Portfolio.objects.exists()
    assert not ExtractionJob.objects.exists()
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not p.sandbox_path.exists()
    assert client.get(link).status_code == 404
    assert client.get(url).status_code == 403


def test_at_capacity_publishing_leads_to_the_waiting_page(client, settings):
    settings.PORTFOLIO_CAPACITY = settings.PORTFOLIO_OVERFLOW_CAPACITY = 1
    settings.CAPACITY_HIGH_DEMAND_AT = settings.CAPACITY_WARN_AT = 1
    publishing.publish(
        resume={"basics": {"name": "Someone Else"}},
        theme="classic",
        client="other",
        retention_hours=24,
        active_limit=5,
    )
    job = finished_job(client)
    r = publish_form(client, job)
    assert r.status_code == 303
    req = PortfolioRequest.objects.get()
    assert r["Location"] == f"/waiting/{req.pk}"
    text = client.get(r["Location"]).content.decode()
    assert "Number 1 on the waiting list" in text
    assert '<noscript><meta http-equiv="refresh"' in text and "js/countdown.js" in text

    # A place frees: the request is published; the page links to it and shows
    # the manage link once.
    publishing.archive(Portfolio.objects.get(client="other"))
    req.refresh_from_db()
    p = req.portfolio
    assert p is not None and p.state == State.ACTIVE
    text = client.get(r["Location"]).content.decode()
    assert f"/p/{p.slug}/" in text
    assert p.check_token(manage_url(text).rsplit("/", 1)[1])
    assert "shown already" in client.get(r["Location"]).content.decode()


def test_the_portfolio_limit_offers_to_archive_the_oldest(client, alice, settings):
    settings.QUOTA_TIERS = {
        **settings.QUOTA_TIERS,
        "registered": {**settings.QUOTA_TIERS["registered"], "active_portfolios": 1},
    }
    client.force_login(alice)
    job = finished_job(client)
    publish_form(client, job)
    r = publish_form(client, job, key="z" * 32)
    assert r.status_code == 409
    oldest = Portfolio.objects.get()
    assert f"/portfolios/{oldest.pk}/archive" in r.content.decode()
    client.post(f"/portfolios/{oldest.pk}/archive", {"next": f"/jobs/{job.pk}/publish"})
    assert Portfolio.objects.get().state == State.ARCHIVED
    assert publish_form(client, job, key="y" * 32).status_code == 303


def test_html_in_the_resume_is_escaped_on_the_preview(client):
    job = finished_job(client, "<script>alert(1)</script> Mallory\nmallory@example.com\n")
    r = client.get(f"/jobs/{job.pk}/preview/modern")
    assert r.status_code == 200
    assert "<script>alert(1)" not in r.content.decode()
    assert "script-src" not in r["Content-Security-Policy"]
    assert f"/jobs/{job.pk}/preview/modern/style.css" in r.content.decode()


def test_someone_elses_job_is_a_404(client, alice, django_user_model):
    client.force_login(alice)
    job = finished_job(client)
    client.logout()
    assert client.get(f"/jobs/{job.pk}/publish").status_code == 404
    assert client.get(f"/jobs/{job.pk}/preview/modern").status_code == 404
    bob = django_user_model.objects.create_user("bob", "bob@example.com", "pw-bob-12345")
    client.force_login(bob)
    assert publish_form(client, job).status_code == 404
    assert not Portfolio.objects.exists()


def test_the_dashboard_lists_my_portfolios(client, alice):
    assert client.get("/portfolios/").status_code == 302
    client.force_login(alice)
    job = finished_job(client)
    publish_form(client, job)
    p = Portfolio.objects.get()
    text = client.get("/portfolios/").content.decode()
    assert "Jane Example" in text and "Active" in text and f"/p/{p.slug}/" in text


def test_the_success_page_tells_what_was_cut_to_fit(client, settings):
    job = finished_job(client)
    settings.SNAPSHOT_WARN_BYTES = 2_000
    settings.SNAPSHOT_MAX_BYTES = 4_000
    settings.SNAPSHOT_MAX_ITEMS = 3
    job.result = {
        "basics": {"name": "Big"},
        "work": [
            {"name": f"C{i}", "startDate": f"{2000 + i}", "summary": "x" * 200} for i in range(20)
        ],
    }
    job.save(update_fields=["result"])
    r = publish_form(client, job)
    text = client.get(r["Location"]).content.decode()
    assert "we shortened your page" in text and "20 work entries" in text
