"""Anonymous reads of /api/v1/status answered before Django builds a request
(monitoring.api.StatusAnswers, issue 13): the same answer as Django's, the
rate limit counted once, the caller's allowance current, and every request
the fast path is not sure of left to Django."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from prometheus_client import REGISTRY

from cv2web import fastpath
from extraction import intake
from monitoring import api
from quotas import ratelimits
from tests.helpers import SpyHandler, WsgiClient

pytestmark = pytest.mark.django_db

STATUS = "/api/v1/status"
# Made anew for each answer; every other header is given as Django gave it.
PER_REQUEST = {"x-request-id"}


def status_pair():
    """(fast, django, spy): the status answerer before Django, and Django alone."""
    spy = SpyHandler()
    fast = WsgiClient(fastpath.FastPath(spy, [api.StatusAnswers()]))
    return fast, WsgiClient(fastpath.FastPath(spy, [])), spy


def headers(response) -> list[tuple[str, str]]:
    return sorted((k.lower(), v) for k, v in response.header_list if k.lower() not in PER_REQUEST)


def test_the_status_is_learnt_from_django_once_then_the_same_answer_without_it():
    fast, django, spy = status_pair()
    first = fast.get(STATUS)
    assert spy.paths == [STATUS] and first.status_code == 200
    second = fast.get(STATUS)
    assert spy.paths == [STATUS], "the second read reached Django"
    third = django.get(STATUS)
    assert second.status_code == third.status_code == 200
    assert second.content == third.content == first.content
    assert headers(second) == headers(third) == headers(first)
    for name in ("Content-Security-Policy", "X-Frame-Options", "ETag", "X-Quota-Limit"):
        assert second[name], name
    assert second["Cache-Control"] == "no-store"
    assert second["X-Request-ID"] != first["X-Request-ID"]


def test_the_body_and_its_etag_follow_the_status(settings):
    settings.STATUS_CACHE_SECONDS = 0
    fast, django, spy = status_pair()
    before = fast.get(STATUS)
    intake.accept(SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n"))
    after = fast.get(STATUS)
    assert spy.paths == [STATUS]
    depth = json.loads(after.content)["extraction_queue"]["depth"]
    assert depth == json.loads(before.content)["extraction_queue"]["depth"] + 1
    assert after["ETag"] != before["ETag"]
    assert int(after["Content-Length"]) == len(after.content)
    assert headers(after) == headers(django.get(STATUS))


def test_the_allowance_headers_are_the_callers_own_and_current(client):
    fast, _, spy = status_pair()
    fast.get(STATUS, REMOTE_ADDR="203.0.113.5")
    allowance = int(fast.get(STATUS, REMOTE_ADDR="203.0.113.5")["X-Quota-Limit"])
    upload = SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n")
    assert client.post("/", {"file": upload}, REMOTE_ADDR="203.0.113.5").status_code in (
        200,
        302,
    )
    mine = fast.get(STATUS, REMOTE_ADDR="203.0.113.5")
    other = fast.get(STATUS, REMOTE_ADDR="198.51.100.77")
    assert spy.paths == [STATUS]
    assert int(mine["X-Quota-Remaining"]) == allowance - 1
    assert int(other["X-Quota-Remaining"]) == allowance


def test_the_limit_is_counted_once_and_its_refusal_is_djangos(settings, monkeypatch, one_window):
    settings.RATELIMIT_CHEAP_READS = "3/m"
    counted = []
    real = ratelimits.check_all

    def counting(request, limits):
        counted.append(request.path)
        return real(request, limits)

    monkeypatch.setattr(api, "check_all", counting)  # Django's count
    monkeypatch.setattr(ratelimits, "check_all", counting)  # the fast path's
    fast, _, spy = status_pair()
    codes = [fast.get(STATUS).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = fast.get(STATUS)
    assert refused.status_code == 429 and json.loads(refused.content)["error"] == "rate_limited"
    assert int(refused["Retry-After"]) > 0
    # Learnt by the first read; the two refusals answered by Django.
    assert spy.paths == [STATUS] * 3
    assert len(counted) == 5, "a request was counted twice"


@pytest.mark.parametrize(
    "extra",
    [
        {"HTTP_HOST": "evil.example.net"},
        {"QUERY_STRING": "format=json"},
        {"HTTP_COOKIE": "sessionid=abc"},
        {"HTTP_AUTHORIZATION": "Token abc"},
        {"HTTP_IF_NONE_MATCH": '"x"'},
        {"HTTP_ACCEPT": "text/html"},
    ],
    ids=["foreign host", "query", "cookie", "credentials", "conditional", "accept"],
)
def test_reads_that_are_not_plain_and_anonymous_go_to_django(extra):
    fast, _, spy = status_pair()
    fast.get(STATUS)
    spy.paths.clear()
    r = fast.get(STATUS, **extra)
    assert spy.paths == [STATUS]
    if "HTTP_HOST" in extra:
        assert r.status_code == 400  # Django's DisallowedHost, as before


def test_other_methods_and_paths_go_to_django():
    fast, _, spy = status_pair()
    fast.get(STATUS)
    spy.paths.clear()
    assert fast.request("OPTIONS", STATUS).status_code == 200
    fast.get("/api/v1/status/")
    assert spy.paths == [STATUS, "/api/v1/status/"]


@pytest.mark.parametrize("cached", [True, False], ids=["from the cache", "computed"])
def test_django_request_signals_go_with_a_read_that_asks_the_database(settings, cached):
    """A read answered from the cache asks no database: no signals to send
    (they walk every connection and cache: a quarter of such a read). One
    that computes the status or the allowance sends them, as Django's
    handler would, so that its connection goes back."""
    settings.STATUS_CACHE_SECONDS = 2 if cached else 0
    started, finished = [], []

    def on_start(sender, **kwargs):
        started.append(sender)

    def on_finish(sender, **kwargs):
        finished.append(sender)

    fast, _, spy = status_pair()
    fast.get(STATUS)
    request_started.connect(on_start)
    request_finished.connect(on_finish)
    try:
        got = fast.get(STATUS)
    finally:
        request_started.disconnect(on_start)
        request_finished.disconnect(on_finish)
    assert got.status_code == 200 and spy.paths == [STATUS]
    expected = [] if cached else [api.StatusAnswers]
    assert started == finished == expected


def test_fast_status_answers_are_counted_under_the_route():
    fast, _, spy = status_pair()
    labels = {"route": "api-status", "method": "GET", "status": "2xx"}
    fast.get(STATUS)
    before = REGISTRY.get_sample_value("cv2web_http_requests_total", labels) or 0.0
    fast.get(STATUS)
    fast.get(STATUS)
    assert REGISTRY.get_sample_value("cv2web_http_requests_total", labels) - before == 2


def test_the_entry_point_has_the_fast_status():
    from cv2web.wsgi import application

    fast = application
    while not isinstance(fast, fastpath.FastPath):
        fast = fast.app
    assert any(isinstance(a, api.StatusAnswers) for a in fast.answerers)


def test_a_failure_after_the_count_leaves_the_read_to_django_counted_once(monkeypatch, caplog):
    counted = []
    real = ratelimits.check_all

    def counting(request, limits):
        counted.append(request.path)
        return real(request, limits)

    fast, _, spy = status_pair()
    fast.get(STATUS)
    monkeypatch.setattr(api, "check_all", counting)
    monkeypatch.setattr(ratelimits, "check_all", counting)
    monkeypatch.setattr(api.JSONRenderer, "render", lambda self, data: 1 / 0, raising=True)
    with caplog.at_level("ERROR", logger="cv2web.fastpath"):
        fast.get(STATUS)
    monkeypatch.undo()
    assert "a fast path failed" in caplog.text
    assert spy.paths == [STATUS] * 2 and len(counted) == 1


def test_a_forged_forwarded_address_neither_escapes_the_limit_nor_spends_anothers(
    settings, one_window
):
    """No proxy is trusted by default: the limit counts the connection's own
    address, whatever X-Forwarded-For claims (a stranger cannot rotate it to
    read without limit, nor name a victim's address to spend its budget)."""
    settings.TRUSTED_PROXY_COUNT = 0
    settings.RATELIMIT_CHEAP_READS = "2/m"
    fast, _, spy = status_pair()
    fast.get(STATUS, REMOTE_ADDR="203.0.113.9")  # learnt
    codes = [
        fast.get(
            STATUS, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"
        ).status_code
        for i in range(3)
    ]
    assert codes == [200, 429, 429]
    victim = fast.get(STATUS, REMOTE_ADDR="198.51.100.1")
    assert victim.status_code == 200


def test_a_hostile_request_id_is_not_echoed(settings):
    fast, _, spy = status_pair()
    fast.get(STATUS)
    for hostile in ("x" * 100_000, "abc\r\nSet-Cookie: a=b", "<script>"):
        r = fast.get(STATUS, HTTP_X_REQUEST_ID=hostile)
        assert r.status_code == 200 and r["X-Request-ID"] != hostile
        assert len(r["X-Request-ID"]) == 32
    assert spy.paths == [STATUS]
