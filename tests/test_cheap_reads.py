"""Cheap reads at the web tier's ceiling (issue 13): their own rate limit, the
public status computed once for many readers, the upload page's few queries,
and the site-wide Content-Security-Policy built once yet always current."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from extraction import intake
from tests.helpers import count_redis_commands

pytestmark = pytest.mark.django_db

STATUS = "/api/v1/status"


def count_queries(call) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as queries:
        out = call()
    return out, len(queries)


def test_polling_the_status_does_not_spend_the_api_budget(settings):
    settings.RATELIMIT_API_HOUR = "2/h"
    api = APIClient()
    assert [api.get(STATUS).status_code for _ in range(6)] == [200] * 6


def test_polling_the_status_has_a_limit_of_its_own(settings, one_window):
    settings.RATELIMIT_CHEAP_READS = "3/m"
    api = APIClient()
    codes = [api.get(STATUS).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = api.get(STATUS)
    assert r.json()["error"] == "rate_limited" and int(r["Retry-After"]) > 0


def test_a_job_polled_by_its_owner_does_not_spend_the_api_budget_but_cancelling_does(
    settings, one_window
):
    settings.RATELIMIT_API_HOUR = "2/h"
    job = intake.accept(SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n"))
    api = APIClient()
    url = f"/api/v1/extractions/{job.pk}"
    assert [api.get(url).status_code for _ in range(5)] == [200] * 5
    codes = [api.delete(url).status_code for _ in range(3)]
    assert codes[-1] == 429


def test_the_status_is_computed_once_for_many_readers_then_again(settings):
    settings.STATUS_CACHE_SECONDS = 2
    api = APIClient()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first, computed = count_queries(lambda: api.get(STATUS))
        again, cached = count_queries(lambda: api.get(STATUS))
    assert first.json() == again.json()
    # The quota headers' own query stays; the status' seven go.
    assert cached <= computed - 6
    intake.accept(SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n"))
    with time_machine.travel(start + timedelta(seconds=3), tick=False):
        later = api.get(STATUS).json()
    assert later["extraction_queue"]["depth"] == first.json()["extraction_queue"]["depth"] + 1


def test_with_no_status_cache_every_read_is_current(settings):
    settings.STATUS_CACHE_SECONDS = 0
    api = APIClient()
    before = api.get(STATUS).json()["extraction_queue"]["depth"]
    intake.accept(SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n"))
    assert api.get(STATUS).json()["extraction_queue"]["depth"] == before + 1


def test_the_upload_page_asks_the_database_nothing_when_its_fragments_are_cached():
    visitor = Client()
    first = visitor.get("/")
    page, queries = count_queries(lambda: Client().get("/"))
    assert page.status_code == 200 and b"Read my CV" in page.content
    assert queries == 0  # the visitor's allowance is cached too (QUOTA_USAGE_CACHE_S)
    assert page.content.count(b"queue-note") == first.content.count(b"queue-note") == 1


def test_the_upload_page_survives_a_cache_that_does_not_answer():
    unreachable = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
    with override_settings(CACHES={"default": unreachable, "ratelimit": unreachable}):
        page = Client().get("/")
        status = APIClient().get(STATUS)
    assert page.status_code == 200 and b"queue-note" in page.content
    assert status.status_code == 200 and "capacity" in status.json()


def test_pages_carry_the_site_policy_and_a_changed_policy_at_once(settings):
    r = Client().get("/healthz")
    assert "default-src 'self'" in r["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in r["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert Client().get("/healthz")["Content-Security-Policy"] == "default-src 'none'"


def test_the_header_is_what_django_csp_would_write_with_or_without_a_nonce(settings):
    from csp.constants import NONCE
    from csp.middleware import CSPMiddleware as Upstream
    from django.http import HttpRequest, HttpResponse

    from cv2web.middleware import CSPMiddleware

    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]}
    }

    def header(middleware_class, nonce: str | None) -> str:
        request = HttpRequest()
        middleware = middleware_class(lambda r: HttpResponse())
        middleware.process_request(request)
        if nonce:
            request._csp_nonce = nonce  # a template asked for one
        return middleware.process_response(request, HttpResponse())["Content-Security-Policy"]

    assert header(CSPMiddleware, None) == header(Upstream, None)
    assert header(CSPMiddleware, "n0nce") == header(Upstream, "n0nce")
    assert "'nonce-n0nce'" in header(CSPMiddleware, "n0nce")
    assert "nonce" not in header(CSPMiddleware, None)


# --- The lean path (cv2web.middleware.LeanPathMiddleware) ---------------------------

SECURITY = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


@pytest.mark.parametrize("url", ["/healthz", STATUS])
def test_the_lean_path_keeps_every_security_header_and_the_csp(url, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    lean = Client().get(url, secure=True)
    full_client = Client()
    full_client.cookies[settings.SESSION_COOKIE_NAME] = "not-a-session"
    full = full_client.get(url, secure=True)
    assert lean.status_code == full.status_code == 200
    for name in (*SECURITY, "Strict-Transport-Security", "Cache-Control", "Content-Type"):
        assert lean.get(name) == full.get(name), name
    assert lean["Strict-Transport-Security"].startswith("max-age=3600")
    if url.startswith("/api/"):
        for name in ("X-Quota-Limit", "X-Quota-Remaining", "ETag"):
            assert lean.get(name) == full.get(name), name
    # The lean answer passed no session, CSRF or messages middleware.
    assert not hasattr(lean.wsgi_request, "session") and hasattr(full.wsgi_request, "session")
    assert not hasattr(lean.wsgi_request, "_messages")
    assert not lean.cookies and "Cookie" not in lean.get("Vary", "")
    # Both carry a fresh request id of the same shape, and the same route.
    assert re.fullmatch(r"[0-9a-f]{32}", lean["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{32}", full["X-Request-ID"])
    assert lean["X-Request-ID"] != full["X-Request-ID"]
    assert lean.wsgi_request.resolver_match.view_name == full.wsgi_request.resolver_match.view_name


def test_the_lean_path_finds_a_fixed_route_once_and_gives_each_request_its_own_match(
    monkeypatch,
):
    """/healthz and /api/v1/status are resolved once (their match never
    changes); a job poll's path, which carries an id, is resolved every time."""
    from django.urls.resolvers import URLResolver

    resolved = []
    real = URLResolver.resolve

    def counting(self, path):
        if self.pattern.regex.pattern == "^/":  # the root resolver, once per resolve()
            resolved.append(path)
        return real(self, path)

    job = intake.accept(SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n"))
    poll = f"/jobs/{job.pk}/status"
    for url in ("/healthz", STATUS, poll):
        Client().get(url)  # the first time
    monkeypatch.setattr(URLResolver, "resolve", counting)
    matches = []
    for _ in range(3):
        for url in ("/healthz", STATUS, poll):
            r = Client().get(url)
            assert r.status_code == 200, url
            matches.append(r.wsgi_request.resolver_match)
    assert resolved == [poll] * 3
    assert len({id(m) for m in matches}) == len(matches)
    names = [m.view_name for m in matches]
    assert names == names[:3] * 3 and names[0] == "healthz"
    assert str(job.pk) in [str(v) for v in matches[-1].kwargs.values()]


def test_the_lean_path_takes_no_session_and_sets_no_cookie_on_a_job_poll():
    job = intake.accept(SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n"))
    r = Client().get(f"/jobs/{job.pk}/status")
    assert r.status_code == 200 and r.json()["status"] == "queued"
    assert not hasattr(r.wsgi_request, "session")
    assert not r.cookies and r["X-Frame-Options"] == "DENY"
    assert Client().get("/jobs/00000000-0000-0000-0000-000000000000/status").status_code == 404


def test_the_lean_path_answers_bad_requests_as_the_full_one_does():
    for url in ("/healthz", STATUS):
        assert Client().get(url, HTTP_HOST="evil.example.com").status_code == 400
    api = APIClient()
    missing = api.get("/api/v1/extractions/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert api.post(STATUS).status_code == 405  # not a GET: the whole chain
    r = APIClient().get(STATUS, HTTP_AUTHORIZATION="Token nope")
    assert r.status_code == 401 and r.json()["error"]


def test_an_owner_signed_in_by_session_polls_their_job_through_the_whole_chain(alice):
    from django.core.files.uploadedfile import SimpleUploadedFile as Upload

    job = intake.accept(Upload("cv.txt", b"Ada Example\nada@example.com\n"), owner=alice)
    browser = Client()
    browser.force_login(alice)
    assert browser.get(f"/api/v1/extractions/{job.pk}").status_code == 200
    assert Client().get(f"/api/v1/extractions/{job.pk}").status_code == 404


def polled_by_token(alice):
    """A finished job of alice's and an API client holding her token."""
    from quotas.models import ApiToken

    job = intake.accept(
        SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n"), owner=alice
    )
    token, key = ApiToken.issue(alice, "poller")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return job, token, api


def test_a_job_polled_with_a_token_costs_two_queries_none_ordered(alice):
    job, _, api = polled_by_token(alice)
    url = f"/api/v1/extractions/{job.pk}"
    api.get(url)  # the token's last use written, the quota count cached
    with CaptureQueriesContext(connection) as queries:
        r = api.get(url)
    assert r.status_code == 200 and r.json()["id"] == str(job.pk)
    sql = [q["sql"] for q in queries.captured_queries]
    # The token with its user and Account (tier, confirmed: the rate limit's
    # key and the X-Quota headers); the job with its place in the queue. No
    # Account read of its own, and no ORDER BY on a lookup by unique key.
    assert len(sql) == 2, sql
    assert "COUNT(*)" in sql[1]
    assert r.json()["position"] == 1
    assert "quotas_account" in sql[0] and "quotas_apitoken" in sql[0]
    assert not any(s.startswith('SELECT "quotas_account"') for s in sql)
    assert "ORDER BY" not in sql[0] and "ORDER BY" not in sql[1]
    # The job is not joined to itself to bring the job a duplicate joined.
    assert 'JOIN "extraction_extractionjob"' not in sql[1], sql[1]
    assert 'JOIN "extraction_document"' in sql[1]
    assert r["X-Quota-Limit"] == str(settings_tier_limit("registered"))


def settings_tier_limit(tier: str) -> int:
    from django.conf import settings

    return settings.QUOTA_TIERS[tier]["extractions_per_day"]


def test_a_revoked_token_is_refused_on_the_next_poll(alice):
    job, token, api = polled_by_token(alice)
    url = f"/api/v1/extractions/{job.pk}"
    assert api.get(url).status_code == 200
    token.revoke()
    assert api.get(url).status_code == 401


def test_the_account_read_with_the_token_is_the_current_one(alice):
    from quotas.models import Account, Tier

    job, _, api = polled_by_token(alice)
    url = f"/api/v1/extractions/{job.pk}"
    before = api.get(url)
    Account.objects.filter(user=alice).update(tier=Tier.PREMIUM, extractions_per_day=7)
    after = api.get(url)
    assert before["X-Quota-Limit"] != "7" and after["X-Quota-Limit"] == "7"
    # An unconfirmed account counts as anonymous, as before.
    Account.objects.filter(user=alice).update(confirmed=False)
    assert api.get(url)["X-Quota-Limit"] == str(settings_tier_limit("anonymous"))


def test_a_user_without_an_account_row_gets_one_as_before(alice):
    from quotas.models import Account

    job, _, api = polled_by_token(alice)
    Account.objects.filter(user=alice).delete()
    r = api.get(f"/api/v1/extractions/{job.pk}")
    assert r.status_code == 200 and r["X-Quota-Limit"] == str(settings_tier_limit("registered"))
    assert Account.objects.filter(user=alice).exists()


def test_a_job_joined_to_another_is_polled_with_its_leaders_state(alice):
    from extraction.models import ExtractionJob, JobState

    leader, _, api = polled_by_token(alice)
    follower = intake.accept(
        SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n"), owner=alice
    )
    ExtractionJob.objects.filter(pk=follower.pk).update(joined_to=leader, state=JobState.QUEUED)
    ExtractionJob.objects.filter(pk=leader.pk).update(
        state=JobState.RUNNING, started_at=timezone.now(), attempts=2
    )
    url = f"/api/v1/extractions/{follower.pk}"
    api.get(url)
    with CaptureQueriesContext(connection) as queries:
        r = api.get(url)
    body = r.json()
    assert body["status"] == "running" and body["position"] == 0
    assert body["attempts"] == 2 and body["started_at"]
    # The leader is read once, for this follower only.
    assert len(queries) == 3, [q["sql"] for q in queries.captured_queries]


# --- The status beside DRF -------------------------------------------------------

VOLATILE = {"X-Request-ID"}


def same_answer(quick, slow) -> None:
    assert quick.status_code == slow.status_code
    assert quick.content == slow.content
    assert {k: v for k, v in quick.items() if k not in VOLATILE} == {
        k: v for k, v in slow.items() if k not in VOLATILE
    }


@pytest.mark.parametrize("method", ["get", "head"])
def test_the_status_answers_beside_drf_as_drf_would(method, monkeypatch):
    from rest_framework.views import APIView

    client = Client()
    slow = getattr(client, method)(STATUS + "?through=drf")  # a query string: DRF
    dispatched = []
    real = APIView.dispatch
    monkeypatch.setattr(
        APIView, "dispatch", lambda self, *a, **k: dispatched.append(1) or real(self, *a, **k)
    )
    quick = getattr(client, method)(STATUS)
    assert dispatched == [], "DRF answered"
    same_answer(quick, slow)
    assert quick["Content-Type"] == "application/json"
    assert quick["Allow"] == "GET, HEAD, OPTIONS"
    for name in ("Cache-Control", "X-Quota-Limit", "Content-Security-Policy"):
        assert quick.get(name), name
    if method == "get":  # ConditionalGetMiddleware tags GETs only
        assert quick["ETag"]


@pytest.mark.parametrize(
    "extra",
    [
        {"HTTP_ACCEPT": "text/html"},
        {"HTTP_AUTHORIZATION": "Token not-a-token"},
        {"QUERY_STRING": "format=json"},
    ],
    ids=["accept", "credentials", "query"],
)
def test_what_the_quick_status_does_not_judge_goes_to_drf(extra, monkeypatch):
    from rest_framework.views import APIView

    dispatched = []
    real = APIView.dispatch
    monkeypatch.setattr(
        APIView, "dispatch", lambda self, *a, **k: dispatched.append(1) or real(self, *a, **k)
    )
    r = Client().get(STATUS, **extra)
    assert dispatched == [1]
    assert r.status_code in (200, 401, 404, 406)


def test_the_quick_status_counts_each_read_once_and_drf_refuses_the_one_over(settings, one_window):
    settings.RATELIMIT_CHEAP_READS = "3/m"
    client = Client()
    codes = [client.get(STATUS).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get(STATUS)
    assert r.json()["error"] == "rate_limited" and int(r["Retry-After"]) > 0


def test_a_signed_in_person_reads_the_status_through_drf(django_user_model, monkeypatch):
    from rest_framework.views import APIView

    user = django_user_model.objects.create_user("reader", "reader@example.com", "x" * 20)
    client = Client()
    client.force_login(user)
    dispatched = []
    real = APIView.dispatch
    monkeypatch.setattr(
        APIView, "dispatch", lambda self, *a, **k: dispatched.append(1) or real(self, *a, **k)
    )
    assert client.get(STATUS).status_code == 200
    assert dispatched == [1]


REDIS_TEST = "redis://127.0.0.1:6379/12"


def _project_redis(location: str, **options) -> dict:
    config = {"BACKEND": "cv2web.cache.RedisCache", "LOCATION": location, "KEY_PREFIX": "cheap"}
    if options:
        config["OPTIONS"] = options
    return {"default": config, "ratelimit": config}


# Django's client takes the quick status beside DRF; DRF's sets a forced user,
# which DRF answers itself.
@pytest.mark.parametrize("reader", [Client, APIClient], ids=["quick", "drf"])
def test_a_cached_status_read_costs_two_trips_to_redis(settings, monkeypatch, reader):
    from quotas import ratelimits

    settings.STATUS_CACHE_SECONDS = 30
    ratelimits.reset_breakers()
    with override_settings(CACHES=_project_redis(REDIS_TEST)):
        from django.core.cache import cache

        cache.clear()
        api = reader()
        first = api.get(STATUS)
        sent = count_redis_commands(monkeypatch)
        again, queries = count_queries(lambda: api.get(STATUS))
        monkeypatch.undo()
        cache.clear()
    # The limit's count; then the status and the caller's allowance together.
    assert len(sent) == 2 and queries == 0
    assert again.json() == first.json()
    allowance = str(settings.QUOTA_TIERS["anonymous"]["extractions_per_day"])
    assert again["X-Quota-Limit"] == first["X-Quota-Limit"] == allowance
    assert again["X-Quota-Remaining"] == first["X-Quota-Remaining"]


def test_the_status_survives_the_project_redis_cache_not_answering():
    from quotas import ratelimits

    ratelimits.reset_breakers()
    down = _project_redis("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    with override_settings(CACHES=down):
        status = APIClient().get(STATUS)
    ratelimits.reset_breakers()
    assert status.status_code == 200 and "capacity" in status.json()
    assert int(status["X-Quota-Remaining"]) >= 0


def test_a_poll_reads_the_estimate_and_the_allowance_in_one_trip_to_redis(
    settings, monkeypatch, alice
):
    from quotas import ratelimits
    from quotas.models import ApiToken

    settings.EXTRACTION_ESTIMATE_CACHE_S = 30
    ratelimits.reset_breakers()
    _, key = ApiToken.issue(alice, "poll")
    with override_settings(CACHES=_project_redis(REDIS_TEST)):
        from django.core.cache import cache

        cache.clear()
        job = intake.accept(
            SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n"), owner=alice
        )
        poller = Client(HTTP_AUTHORIZATION=f"Token {key}")
        url = f"/api/v1/extractions/{job.pk}"
        first = poller.get(url)
        sent = count_redis_commands(monkeypatch)
        again = poller.get(url)
        monkeypatch.undo()
        cache.clear()
    # Django's answer: the change stamps, read before the database (what it
    # reads is kept for the next polls, extraction.polls); the limit's count;
    # then the estimate and the allowance together.
    assert len(sent) == 3, sent
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json() and again.json()["position"] == 1
    assert again.json()["eta_seconds"] == first.json()["eta_seconds"] > 0
    assert again["X-Quota-Remaining"] == first["X-Quota-Remaining"]


@pytest.mark.parametrize("near", [0.25, 0], ids=["near copies", "no near copies"])
def test_the_kept_upload_page_costs_no_trip_to_redis(settings, monkeypatch, near):
    from extraction import views
    from quotas import ratelimits

    settings.CHEAP_READ_NEAR_S = near
    ratelimits.reset_breakers()
    views._kept_pages.clear()
    with override_settings(CACHES=_project_redis(REDIS_TEST)):
        from django.core.cache import cache

        cache.clear()
        first = Client().get("/")
        Client().get("/")  # the page is kept by now
        sent = count_redis_commands(monkeypatch)
        page, queries = count_queries(lambda: Client().get("/"))
        monkeypatch.undo()
        cache.clear()
    # The allowance and the fragments as read at most CHEAP_READ_NEAR_S ago,
    # and the page this process kept; without near copies, one read of the
    # allowance and the fragments together.
    assert len(sent) == (0 if near else 1) and queries == 0, sent
    assert page.status_code == 200 and b"queue-note" in page.content
    assert page.content.count(b"queue-note") == first.content.count(b"queue-note") == 1


def test_the_upload_page_shows_the_visitors_own_allowance_from_the_kept_page(client):
    allowance = settings_allowance()
    before = client.get("/")
    upload = SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n")
    client.post("/", {"file": upload})
    after = client.get("/")
    stranger = Client(REMOTE_ADDR="198.51.100.90").get("/")
    assert f"(0 of {allowance} used".encode() in before.content
    assert f"(1 of {allowance} used".encode() in after.content
    assert f"(0 of {allowance} used".encode() in stranger.content


def settings_allowance() -> int:
    from django.conf import settings

    return settings.QUOTA_TIERS["anonymous"]["extractions_per_day"]


def _fast(answerer):
    """(client, spy): `answerer` before Django, as the WSGI entry point has it."""
    from cv2web.fastpath import FastPath
    from tests.helpers import SpyHandler, WsgiClient

    spy = SpyHandler()
    return WsgiClient(FastPath(spy, [answerer])), spy


def test_a_fast_status_read_costs_one_trip_to_redis(settings, monkeypatch):
    from monitoring.api import StatusAnswers
    from quotas import ratelimits

    settings.CHEAP_READ_NEAR_S = 0  # no batching: the count and the reads together
    settings.STATUS_CACHE_SECONDS = 30
    ratelimits.reset_breakers()
    with override_settings(CACHES=_project_redis(REDIS_TEST)):
        from django.core.cache import cache

        cache.clear()
        fast, spy = _fast(StatusAnswers())
        first = fast.get(STATUS)  # Django's, learnt
        fast.get(STATUS)
        sent = count_redis_commands(monkeypatch)
        again, queries = count_queries(lambda: fast.get(STATUS))
        monkeypatch.undo()
        cache.clear()
    # The limit's count, the cached status and the caller's allowance: one script.
    assert len(sent) == 1 and queries == 0 and spy.paths == [STATUS]
    assert again.content == first.content
    assert again["X-Quota-Remaining"] == first["X-Quota-Remaining"]


def test_a_kept_poll_costs_one_trip_to_redis(settings, monkeypatch, alice):
    from extraction import polls
    from quotas import ratelimits
    from quotas.models import ApiToken

    settings.CHEAP_READ_NEAR_S = 0  # no batching: the count and the reads together
    settings.EXTRACTION_ESTIMATE_CACHE_S = 30
    ratelimits.reset_breakers()
    polls.kept.clear()
    _, key = ApiToken.issue(alice, "poll")
    with override_settings(CACHES=_project_redis(REDIS_TEST)):
        from django.core.cache import cache

        cache.clear()
        job = intake.accept(
            SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n"), owner=alice
        )
        url = f"/api/v1/extractions/{job.pk}"
        fast, spy = _fast(polls.PollAnswers())
        first = fast.get(url, HTTP_AUTHORIZATION=f"Token {key}")  # Django's, kept
        sent = count_redis_commands(monkeypatch)
        again, queries = count_queries(lambda: fast.get(url, HTTP_AUTHORIZATION=f"Token {key}"))
        monkeypatch.undo()
        cache.clear()
    polls.kept.clear()
    # The count, the estimate, the allowance and both change stamps: one script.
    assert len(sent) == 1 and queries == 0 and spy.paths == [url]
    assert again.content == first.content


def test_the_one_trip_counts_the_counter_the_limit_counts(settings, one_window):
    from django.core.cache import caches
    from django.test import RequestFactory

    from quotas import ratelimits

    settings.CHEAP_READ_NEAR_S = 0
    ratelimits.reset_breakers()
    with override_settings(CACHES=_project_redis(REDIS_TEST)):
        caches["default"].set("k", {"a": 1})
        request = RequestFactory().get(STATUS, REMOTE_ADDR="198.51.100.30")
        request.client_bucket = "198.51.100.30"
        limits = [("cheap-reads", "3/m")]
        got = [ratelimits.check_and_read(request, limits, ["k", "absent"]) for _ in range(2)]
        assert got[0] == (ratelimits.Decision(False), {"k": {"a": 1}})
        assert not ratelimits.check(request, "cheap-reads", "3/m").limited  # the third
        decision, known = ratelimits.check_and_read(request, limits, ["k"])
        assert decision.limited and decision.retry_after >= 1 and known == {"k": {"a": 1}}
        caches["default"].clear()


def test_the_one_trip_fails_open_when_redis_does_not_answer():
    from django.test import RequestFactory

    from quotas import ratelimits

    ratelimits.reset_breakers()
    down = _project_redis("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    with override_settings(CACHES=down):
        request = RequestFactory().get(STATUS, REMOTE_ADDR="198.51.100.31")
        request.client_bucket = "198.51.100.31"
        before = ratelimits.cache_errors()
        decision, known = ratelimits.check_and_read(request, [("cheap-reads", "1/m")], ["k"])
        assert not decision.limited and known is None
        assert ratelimits.cache_errors() == before + 1
    ratelimits.reset_breakers()


def test_a_rate_limit_cache_apart_from_the_default_is_read_apart(settings):
    # Counting in one store and reading another's keys there would read nothing.
    from django.core.cache import caches
    from django.test import RequestFactory

    from quotas import ratelimits

    ratelimits.reset_breakers()
    locmem = {"BACKEND": "cv2web.cache.LocMemCache", "LOCATION": "apart"}
    redis_limits = _project_redis(REDIS_TEST)["ratelimit"]
    with override_settings(CACHES={"default": locmem, "ratelimit": redis_limits}):
        caches["default"].set("k", "local")
        request = RequestFactory().get(STATUS, REMOTE_ADDR="198.51.100.32")
        request.client_bucket = "198.51.100.32"
        decision, known = ratelimits.check_and_read(request, [("cheap-reads", "9/m")], ["k"])
        assert not decision.limited and known == {"k": "local"}
        caches["ratelimit"].clear()
