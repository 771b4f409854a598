"""Published sites served like static files once this process has served them
(portfolios.views.public.PublicSiteMiddleware): the same answer as the view,
every security header and the CSP included, without a database query."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portfolios import publishing, sandbox
from portfolios.models import Portfolio, State
from portfolios.scan import scan
from portfolios.views import public
from tests.helpers import WsgiClient, publish_portfolio

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["test client", "WSGI entry point"])
def reader(request, client):
    """Django's test client, and the WSGI application as gunicorn calls it
    (cv2web.fastpath answers known sites before Django): the same answers."""
    return client if request.param == "test client" else WsgiClient()


# Every header a page of the site carries, whichever way it is served.
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)
SAME = (*SECURITY_HEADERS, "Content-Type", "ETag", "Cache-Control", "Content-Length")


def served_without_queries(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        r = client.get(url, **headers)
    return r, len(queries)


def test_the_second_visit_is_answered_without_a_query_and_with_the_same_headers(reader):
    p = publish_portfolio().portfolio
    first = reader.get(f"/p/{p.slug}/")  # the view: finds the portfolio
    second, queries = served_without_queries(reader, f"/p/{p.slug}/")
    assert first.status_code == second.status_code == 200
    assert queries == 0
    assert second.content == first.content
    for name in SAME:
        assert second.get(name) == first.get(name), name
    assert second["Content-Security-Policy"].startswith("default-src 'none'")
    assert second["X-Frame-Options"] == "DENY"
    assert second["X-Content-Type-Options"] == "nosniff"
    assert second["X-Request-ID"] and second["X-Request-ID"] != first["X-Request-ID"]
    assert "sessionid" not in second.cookies and "csrftoken" not in second.cookies


def test_every_file_of_the_site_keeps_its_type_and_download_name(reader):
    p = publish_portfolio().portfolio
    reader.get(f"/p/{p.slug}/")
    for name in ("style.css", "resume.json", "contact.vcf", "site.zip"):
        public._served.forget(p.slug)  # this one through the view
        view, view_queries = served_without_queries(reader, f"/p/{p.slug}/{name}")
        assert view_queries > 0
        fast, queries = served_without_queries(reader, f"/p/{p.slug}/{name}")
        assert queries == 0 and fast.content == view.content
        for header in (*SAME, "Content-Disposition"):
            assert fast.get(header) == view.get(header), (name, header)


def test_a_known_etag_is_a_304(reader):
    p = publish_portfolio().portfolio
    etag = reader.get(f"/p/{p.slug}/")["ETag"]
    r, queries = served_without_queries(reader, f"/p/{p.slug}/", HTTP_IF_NONE_MATCH=etag)
    assert r.status_code == 304 and queries == 0 and r["ETag"] == etag
    assert r["Content-Security-Policy"].startswith("default-src 'none'")


def test_only_safe_methods_and_site_files_take_the_short_way(client):
    p = publish_portfolio().portfolio
    client.get(f"/p/{p.slug}/")
    assert client.post(f"/p/{p.slug}/").status_code == 405
    assert client.get(f"/p/{p.slug}/../../etc/passwd").status_code == 404
    assert client.get(f"/p/{p.slug}/.etags.json").status_code == 404


def test_an_archived_site_is_gone_at_once(reader):
    p = publish_portfolio().portfolio
    reader.get(f"/p/{p.slug}/")
    publishing.archive(p)
    assert reader.get(f"/p/{p.slug}/").status_code == 410
    assert reader.get(f"/p/{p.slug}/style.css").status_code == 410


def test_an_edited_site_is_served_new_at_once(reader):
    p = publish_portfolio().portfolio
    before = reader.get(f"/p/{p.slug}/")
    resume = {**p.resume, "basics": {**p.resume["basics"], "name": "Ada Edited"}}
    publishing.update(p, resume=resume)
    after = reader.get(f"/p/{p.slug}/")
    assert b"Ada Edited" in after.content and after["ETag"] != before["ETag"]


def test_a_sandbox_of_an_older_release_is_rebuilt_not_served(reader):
    p = publish_portfolio().portfolio
    reader.get(f"/p/{p.slug}/")
    (p.sandbox_path / ".etags.json").write_text('{"format": 1, "etags": {}}')
    r = reader.get(f"/p/{p.slug}/")
    assert r.status_code == 200
    assert f'"format": {sandbox.FORMAT}' in (p.sandbox_path / ".etags.json").read_text()


def test_visits_keep_the_site_alive_with_at_most_one_write_a_minute(reader):
    p = publish_portfolio().portfolio
    start = timezone.now()
    reader.get(f"/p/{p.slug}/")
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        scan()
        assert Portfolio.objects.get(pk=p.pk).state == State.IDLE
        public._served.visits.clear()  # a minute has passed for this process too
        reader.get(f"/p/{p.slug}/")
        p.refresh_from_db()
        assert p.state == State.ACTIVE and p.last_activity_at == start + timedelta(hours=2)
        _, queries = served_without_queries(reader, f"/p/{p.slug}/")
        assert queries == 0


def test_a_front_server_is_handed_the_file_with_the_headers(reader, settings):
    settings.PORTFOLIO_ACCEL_REDIRECT_PREFIX = "/_sandboxes/"
    p = publish_portfolio().portfolio
    reader.get(f"/p/{p.slug}/")
    r = reader.get(f"/p/{p.slug}/style.css")
    assert r["X-Accel-Redirect"] == f"/_sandboxes/{p.pk}/style.css"
    assert r.content == b""
    assert r["Content-Type"].startswith("text/css")
    for name in SECURITY_HEADERS:
        assert r.get(name), name


@pytest.mark.parametrize(
    ("umask", "folder", "file"), [(0o027, 0o750, 0o640), (0o022, 0o755, 0o644)]
)
def test_a_front_server_of_another_user_can_read_the_sandbox(umask, folder, file):
    # nginx runs as its own user (deploy/): the sandbox folder follows the umask
    # as its files do, not mkdtemp's 0700.
    import os

    old = os.umask(umask)
    try:
        p = publish_portfolio().portfolio
    finally:
        os.umask(old)
    path = p.sandbox_path
    assert path.stat().st_mode & 0o777 == folder
    assert (path / "index.html").stat().st_mode & 0o777 == file


def test_pages_served_from_memory_are_counted_under_the_views_routes(reader, monkeypatch):
    """/metrics counts a page served by the middleware under the route the
    view's answer has (found once per file name, not by resolving the path on
    every hit)."""
    from django.urls import resolve
    from prometheus_client import REGISTRY

    from cv2web import instruments

    def count(route: str) -> float:
        labels = {"route": route, "method": "GET", "status": "2xx"}
        return REGISTRY.get_sample_value("cv2web_http_requests_total", labels) or 0.0

    p = publish_portfolio().portfolio
    for path in (f"/p/{p.slug}/", f"/p/{p.slug}/resume.json"):
        route = resolve(path).view_name  # the view's route
        before = count(route)
        public._served.forget(p.slug)
        view = reader.get(path)  # through the view
        assert view.status_code == 200
        if view.wsgi_request is not None:
            assert view.wsgi_request.resolver_match is not None
        reader.get(path)  # from memory, the first time (may look the route up)
        resolved = []
        real_resolve = instruments.resolve
        monkeypatch.setattr(instruments, "resolve", lambda p: resolved.append(p) or real_resolve(p))
        for _ in range(3):
            fast, queries = served_without_queries(reader, path)
            assert fast.status_code == 200 and queries == 0
            if fast.wsgi_request is not None:
                assert fast.wsgi_request.resolver_match is None  # the middleware answered
        monkeypatch.setattr(instruments, "resolve", real_resolve)
        assert count(route) - before == 5, path
        assert resolved == [], path
