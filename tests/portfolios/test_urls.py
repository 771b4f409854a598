"""Portfolios' URLs: one namespace, addresses unchanged, no route that depends on order."""

from __future__ import annotations

import uuid

import pytest
from django.urls import Resolver404, reverse
from django.urls.resolvers import RegexPattern, URLResolver

from portfolios import links, urls
from portfolios.models import Portfolio, PortfolioRequest

SLUG = "ada-lovelace-1a2b3c"
JOB = uuid.UUID("12345678-1234-5678-1234-567812345678")
TOKEN = "A" * 43

# Every page of portfolios: the address people and e-mails have, and its name.
PAGES = [
    (f"/p/{SLUG}/", "public"),
    (f"/p/{SLUG}/index.html", "public-file"),
    (f"/p/{SLUG}/style.css", "public-file"),
    (f"/p/{SLUG}/site.zip", "public-file"),
    (f"/p/{SLUG}/published", "published"),
    (f"/p/{SLUG}/keep-alive/abc:def", "keep-alive"),
    (f"/p/{SLUG}/manage/", "manage"),
    (f"/p/{SLUG}/manage/edit", "edit"),
    (f"/p/{SLUG}/manage/delete", "delete"),
    (f"/p/{SLUG}/manage/theme", "action"),
    (f"/p/{SLUG}/manage/download/site.zip", "download"),
    (f"/p/{SLUG}/manage/{TOKEN}", "manage-token"),
    (f"/p/{SLUG}/manage/{TOKEN}/edit", "manage-token-rest"),
    (f"/jobs/{JOB}/review", "review"),
    (f"/jobs/{JOB}/publish", "publish"),
    (f"/jobs/{JOB}/preview/modern", "preview"),
    (f"/jobs/{JOB}/preview/modern/style.css", "preview-css"),
    (f"/waiting/{JOB}", "waiting"),
    ("/portfolios/", "dashboard"),
    ("/portfolios/deleted", "deleted"),
    (f"/portfolios/{JOB}/archive", "owner-archive"),
    ("/api/v1/portfolios", "api-portfolios"),
    (f"/api/v1/portfolios/{JOB}", "api-portfolio-detail"),
    (f"/api/v1/portfolios/{JOB}/restore", "api-portfolio-restore"),
    (f"/api/v1/portfolios/{JOB}/download/site.zip", "api-portfolio-download"),
]


def _resolver(patterns) -> URLResolver:
    return URLResolver(RegexPattern(r"^/"), list(patterns))


@pytest.mark.parametrize(("path", "name"), PAGES)
def test_it_routes_every_address_to_its_page_in_any_order_of_the_routes(path, name):
    forwards = _resolver(urls.urlpatterns).resolve(path)
    backwards = _resolver(reversed(urls.urlpatterns)).resolve(path)
    assert forwards.url_name == backwards.url_name == name
    assert forwards.func == backwards.func


def test_it_builds_every_address_in_the_portfolios_namespace():
    for path, name in PAGES:
        match = _resolver(urls.urlpatterns).resolve(path)
        assert reverse(f"portfolios:{name}", kwargs=match.kwargs) == path


@pytest.mark.parametrize("name", ["favicon.ico", "manage", "index.php", ".etags.json"])
def test_it_serves_no_other_file_name_from_a_site(name):
    with pytest.raises(Resolver404):
        _resolver(urls.public_patterns).resolve(f"/p/{SLUG}/{name}")


def test_links_keep_the_addresses_people_were_given(settings):
    settings.PUBLIC_BASE_URL = "https://cv.example"
    portfolio = Portfolio(pk=JOB, slug=SLUG)
    assert links.public_url(portfolio) == f"https://cv.example/p/{SLUG}/"
    assert links.manage_link(portfolio, TOKEN) == f"https://cv.example/p/{SLUG}/manage/{TOKEN}"
    assert links.manage_path(portfolio) == f"/p/{SLUG}/manage/"
    assert links.edit_path(portfolio) == f"/p/{SLUG}/manage/edit"
    assert links.published_path(portfolio) == f"/p/{SLUG}/published"
    assert links.waiting_path(PortfolioRequest(pk=JOB)) == f"/waiting/{JOB}"
    assert links.review_path(JOB) == f"/jobs/{JOB}/review"
    assert links.publish_path(JOB) == f"/jobs/{JOB}/publish"
    assert links.preview_css_path(JOB, "minimal") == f"/jobs/{JOB}/preview/minimal/style.css"
    assert links.dashboard_path() == "/portfolios/"
    assert links.deleted_path() == "/portfolios/deleted"


def test_a_keep_alive_link_names_its_portfolio_and_nothing_else(settings):
    settings.PUBLIC_BASE_URL = "https://cv.example"
    url = links.keep_alive_url(Portfolio(pk=JOB, slug=SLUG))
    prefix = f"https://cv.example/p/{SLUG}/keep-alive/"
    assert url.startswith(prefix)
    signed = url.removeprefix(prefix)
    assert links.keep_alive_pk(signed) == str(JOB)
    assert links.keep_alive_pk(signed[:-1] + ("x" if signed[-1] != "x" else "y")) is None
