"""Answers given before Django builds a request (cv2web.fastpath): static files
and the files of published sites this process has served. Each answer must be
the one Django's middleware chain gives (every security header included), and
whatever the fast path is not sure of must reach Django."""

from __future__ import annotations

import gzip
import logging

import pytest
from django.core.handlers.wsgi import WSGIHandler
from prometheus_client import REGISTRY

from cv2web import fastpath
from portfolios.views import public
from tests.helpers import SpyHandler, WsgiClient, publish_portfolio

CSS = b"body { color: #123456; }\n" * 200


@pytest.fixture
def static_root(settings, tmp_path):
    root = tmp_path / "static"
    (root / "css").mkdir(parents=True)
    (root / "css" / "site.css").write_bytes(CSS)
    (root / "css" / "site.css.gz").write_bytes(gzip.compress(CSS))
    settings.STATIC_ROOT = root
    settings.WHITENOISE_AUTOREFRESH = False
    settings.WHITENOISE_USE_FINDERS = False
    return root


def pair():
    """(fast, django): the entry point with its fast path, and Django alone."""
    spy = SpyHandler()
    return WsgiClient(fastpath.FastPath(spy)), WsgiClient(fastpath.FastPath(spy, [])), spy


def same_answer(a, b) -> None:
    assert a.status_code == b.status_code
    assert a.content == b.content
    assert sorted((k.lower(), v) for k, v in a.header_list) == sorted(
        (k.lower(), v) for k, v in b.header_list
    )


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"HTTP_ACCEPT_ENCODING": "gzip, deflate"},
        {"HTTP_RANGE": "bytes=0-99"},
    ],
    ids=["plain", "gzip", "range"],
)
def test_a_static_file_is_the_same_answer_without_django(static_root, extra):
    fast, django, spy = pair()
    expected = django.get("/static/css/site.css", **extra)
    assert spy.paths == ["/static/css/site.css"]
    got = fast.get("/static/css/site.css", **extra)
    assert spy.paths == ["/static/css/site.css"], "the fast path answered"
    same_answer(got, expected)
    assert got.status_code in (200, 206)
    for name in ("X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"):
        assert got.get(name), name


def test_a_known_etag_and_a_head_are_answered_too(static_root):
    fast, django, spy = pair()
    etag = django.get("/static/css/site.css")["ETag"]
    for method, extra in (("GET", {"HTTP_IF_NONE_MATCH": etag}), ("HEAD", {})):
        spy.paths.clear()
        expected = django.request(method, "/static/css/site.css", **extra)
        got = fast.request(method, "/static/css/site.css", **extra)
        assert spy.paths == ["/static/css/site.css"]
        same_answer(got, expected)
    assert got.content == b""


def test_https_gets_hsts_as_from_the_security_middleware(static_root, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    fast, django, spy = pair()
    secure = {"HTTP_X_FORWARDED_PROTO": "https"}
    expected = django.get("/static/css/site.css", **secure)
    got = fast.get("/static/css/site.css", **secure)
    assert len(spy.paths) == 1
    same_answer(got, expected)
    assert got["Strict-Transport-Security"] == "max-age=3600; includeSubDomains"
    assert fast.get("/static/css/site.css").get("Strict-Transport-Security") is None


def test_a_request_to_redirect_to_https_is_left_to_django(static_root, settings):
    settings.SECURE_SSL_REDIRECT = True
    fast, _, spy = pair()
    r = fast.get("/static/css/site.css")
    assert r.status_code == 301 and r["Location"].startswith("https://")
    assert spy.paths == ["/static/css/site.css"]


def test_what_the_fast_path_does_not_answer_reaches_django(static_root):
    fast, _, spy = pair()
    assert fast.get("/static/css/missing.css").status_code == 404
    # Other methods, and errors (an unsatisfiable range): Django answers and logs.
    assert fast.request("POST", "/static/css/site.css").status_code == 405
    assert fast.get("/static/css/site.css", HTTP_RANGE="bytes=99999-").status_code == 416
    assert fast.get("/static/%ff.css").status_code == 404
    assert len(spy.paths) == 4


def test_an_answerer_that_fails_hands_the_request_to_django(static_root, caplog):
    def broken(environ):
        raise RuntimeError("boom")

    spy = SpyHandler()
    client = WsgiClient(fastpath.FastPath(spy, [broken]))
    with caplog.at_level(logging.ERROR, logger="cv2web.fastpath"):
        r = client.get("/static/css/site.css")
    assert r.status_code == 200 and r.content == CSS
    assert spy.paths == ["/static/css/site.css"]
    assert "a fast path failed" in caplog.text


def test_static_answers_are_counted_in_metrics(static_root):
    fast, _, spy = pair()
    labels = {"route": "static", "method": "GET", "status": "2xx"}
    before = REGISTRY.get_sample_value("cv2web_http_requests_total", labels) or 0.0
    for _ in range(3):
        fast.get("/static/css/site.css")
    assert spy.paths == []
    assert REGISTRY.get_sample_value("cv2web_http_requests_total", labels) - before == 3


def test_development_with_autorefresh_takes_no_fast_path(static_root, settings):
    settings.WHITENOISE_AUTOREFRESH = True
    assert fastpath.static_files() is None


def test_the_entry_point_gunicorn_loads_has_the_fast_path():
    from cv2web import wsgi

    assert isinstance(wsgi.application.app, fastpath.FastPath)
    assert isinstance(wsgi.application.app.app, WSGIHandler)
    # Static files only when whitenoise does not re-read the disk (not in
    # development, as here); published sites always.
    assert wsgi.application.app.answerers


@pytest.mark.django_db
def test_a_site_served_before_is_answered_without_django_and_gated_ones_are_not():
    fast, django, spy = pair()
    p = publish_portfolio().portfolio
    url = f"/p/{p.slug}/"
    django.get(url)  # the view: learns the site
    django.get(url)  # the middleware: learns the route label
    spy.paths.clear()
    got = fast.get(url)
    assert spy.paths == [] and got.status_code == 200
    expected = django.get(url)
    assert got.content == expected.content
    drop = {"x-request-id"}
    assert sorted((k.lower(), v) for k, v in got.header_list if k.lower() not in drop) == sorted(
        (k.lower(), v) for k, v in expected.header_list if k.lower() not in drop
    )
    assert got["X-Request-ID"] != expected["X-Request-ID"]
    assert fast.get(url, HTTP_X_REQUEST_ID="trace-1234")["X-Request-ID"] == "trace-1234"

    # A visit due to be written: Django (the middleware) writes it.
    public._served.visits.clear()
    spy.paths.clear()
    fast.get(url)
    assert spy.paths == [url]

    # A gated site: its cookie is checked by Django, never here.
    gated = publish_portfolio(privacy={"passphrase": "correct horse battery"}).portfolio
    url = f"/p/{gated.slug}/"
    for _ in range(3):
        spy.paths.clear()
        r = fast.get(url)
        assert spy.paths == [url]
        assert b"passphrase" in r.content.lower()


# --- Constant answers (/healthz) -------------------------------------------------


def constant_pair():
    spy = SpyHandler()
    answers = fastpath.ConstantAnswers(["/healthz"])
    return WsgiClient(fastpath.FastPath(spy, [answers])), answers, spy


def test_healthz_is_learnt_from_django_once_then_given_without_it():
    fast, answers, spy = constant_pair()
    first = fast.get("/healthz")
    assert spy.paths == ["/healthz"] and first.status_code == 200
    second = fast.get("/healthz")
    assert spy.paths == ["/healthz"], "the second answer reached Django"
    assert second.content == first.content == b'{"status": "ok"}'
    drop = {"x-request-id", "expires"}
    assert sorted((k.lower(), v) for k, v in second.header_list if k.lower() not in drop) == sorted(
        (k.lower(), v) for k, v in first.header_list if k.lower() not in drop
    )
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
        assert second[name] == first[name], name
    assert second["X-Request-ID"] != first["X-Request-ID"]
    assert second["Cache-Control"] == first["Cache-Control"]


def test_the_replayed_expires_is_the_time_of_the_answer():
    import time_machine
    from django.utils.http import http_date

    fast, _, spy = constant_pair()
    fast.get("/healthz")
    with time_machine.travel("2031-01-01 12:00:00+00:00", tick=False):
        r = fast.get("/healthz")
        assert r["Expires"] == http_date() == "Wed, 01 Jan 2031 12:00:00 GMT"
    assert len(spy.paths) == 1


@pytest.mark.parametrize(
    "extra",
    [
        {"HTTP_HOST": "evil.example.net"},
        {"QUERY_STRING": "x=1"},
        {"HTTP_COOKIE": "sessionid=abc"},
        {"HTTP_AUTHORIZATION": "Token abc"},
        {"HTTP_IF_NONE_MATCH": '"x"'},
    ],
    ids=["foreign host", "query", "cookie", "credentials", "conditional"],
)
def test_requests_that_are_not_plain_go_to_django(extra):
    fast, _, spy = constant_pair()
    fast.get("/healthz")
    spy.paths.clear()
    r = fast.get("/healthz", **extra)
    assert spy.paths == ["/healthz"]
    if "HTTP_HOST" in extra:
        assert r.status_code == 400  # Django's DisallowedHost, as before


def test_an_answer_that_is_not_a_plain_200_is_never_kept():
    calls = []

    def app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        if len(calls) == 1:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting"]
        start_response("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "a=b")])
        return [b"ok"]

    answers = fastpath.ConstantAnswers(["/healthz"])
    client = WsgiClient(fastpath.FastPath(app, [answers]))
    assert client.get("/healthz").status_code == 503
    for _ in range(3):
        assert client.get("/healthz").content == b"ok"
    assert len(calls) == 4 and answers.kept == {}


def test_constant_answers_are_counted_under_their_route():
    fast, _, spy = constant_pair()
    labels = {"route": "healthz", "method": "GET", "status": "2xx"}
    fast.get("/healthz")
    before = REGISTRY.get_sample_value("cv2web_http_requests_total", labels) or 0.0
    fast.get("/healthz")
    fast.get("/healthz")
    assert REGISTRY.get_sample_value("cv2web_http_requests_total", labels) - before == 2
    assert len(spy.paths) == 1


def test_an_https_answer_is_kept_apart_from_a_plain_one(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    fast, _, spy = constant_pair()
    secure = {"HTTP_X_FORWARDED_PROTO": "https"}
    for _ in range(2):
        assert fast.get("/healthz", **secure)["Strict-Transport-Security"] == "max-age=3600"
        assert fast.get("/healthz").get("Strict-Transport-Security") is None
    assert len(spy.paths) == 2


def test_the_entry_point_imports_the_url_map_before_the_workers_fork(tmp_path):
    """gunicorn preloads cv2web.wsgi in its master: the URL map and the views
    behind it must be imported there, or every new or recycled worker pays for
    that import on its first request."""
    import subprocess
    import sys

    from tests.conftest import REPO
    from tests.processes import child_env

    code = (
        "import sys; import cv2web.wsgi; "
        "from django.urls import get_resolver; "
        "print('url_patterns' in vars(get_resolver()), "
        "'extraction.api' in sys.modules, 'monitoring.api' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=child_env({"DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "cv2web.settings"}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True", "True"]


def test_gunicorn_freezes_the_preloaded_objects_before_each_fork(monkeypatch, tmp_path):
    """A worker's final collection (at each recycle) and its collections while
    serving skip what the master imported (gunicorn.conf.py pre_fork)."""
    import gc
    import runpy

    from tests.conftest import REPO

    # Given a metrics directory, the settings file makes none of its own and
    # leaves this process's environment as it was.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    conf = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        conf["pre_fork"](None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
