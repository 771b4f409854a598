"""Polls of a job answered from what an earlier poll read (extraction.polls,
issue 13): the same answer as Django's, and Django's again as soon as
anything the answer depends on changes, in this process or another: the
job, the queue ahead of it, the caller's token, account or user.

The tests run in real transactions (transaction=True): the change stamps are
bumped after commit, as in production."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cv2web import fastpath, stamps
from extraction import intake, polls, queue
from extraction.models import ExtractionJob, JobState, Priority
from quotas import ratelimits
from quotas.models import Account, ApiToken, Tier
from tests.helpers import SpyHandler, WsgiClient

pytestmark = pytest.mark.django_db(transaction=True)

PER_REQUEST = {"x-request-id"}


@pytest.fixture(autouse=True)
def _fresh():
    polls.kept.clear()
    yield
    polls.kept.clear()


def pair():
    """(fast, django, spy): the poll answerer before Django, and Django alone."""
    spy = SpyHandler()
    fast = WsgiClient(fastpath.FastPath(spy, [polls.PollAnswers()]))
    return fast, WsgiClient(fastpath.FastPath(spy, [])), spy


def caller(name: str = "poller"):
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "x" * 20)
    _, key = ApiToken.issue(user, "test")
    return user, {"HTTP_AUTHORIZATION": f"Token {key}"}


def upload(owner, text: str = "Ada Example\nada@example.com\n") -> ExtractionJob:
    return intake.accept(SimpleUploadedFile("cv.txt", text.encode()), owner=owner, via="api")


def path_of(job) -> str:
    return f"/api/v1/extractions/{job.pk}"


def headers(response) -> list[tuple[str, str]]:
    return sorted((k.lower(), v) for k, v in response.header_list if k.lower() not in PER_REQUEST)


def test_a_poll_is_answered_again_without_django_and_is_djangos_answer():
    user, auth = caller()
    job = upload(user)
    fast, django, spy = pair()
    first = fast.get(path_of(job), **auth)
    assert first.status_code == 200 and spy.paths == [path_of(job)]
    second = fast.get(path_of(job), **auth)
    assert spy.paths == [path_of(job)], "the second poll reached Django"
    third = django.get(path_of(job), **auth)
    assert second.status_code == third.status_code == 200
    assert second.content == third.content == first.content
    assert headers(second) == headers(third)
    for name in ("Content-Security-Policy", "X-Frame-Options", "ETag", "X-Quota-Limit"):
        assert second[name], name
    assert second["X-Request-ID"] != first["X-Request-ID"]
    body = json.loads(second.content)
    assert body["status"] == "queued" and body["position"] == 1


def test_the_jobs_own_change_is_seen_at_once():
    user, auth = caller()
    job = upload(user)
    fast, _, spy = pair()
    fast.get(path_of(job), **auth)
    fast.get(path_of(job), **auth)
    assert queue.cancel(job, actor=user)
    after = fast.get(path_of(job), **auth)
    assert json.loads(after.content)["status"] == "cancelled"
    assert spy.paths == [path_of(job)] * 2


def test_a_change_ahead_in_the_queue_moves_the_place():
    user, auth = caller()
    ahead = upload(user, "First Person\nfirst@example.com\n")
    job = upload(user, "Second Person\nsecond@example.com\n")
    fast, django, spy = pair()
    fast.get(path_of(job), **auth)
    assert json.loads(fast.get(path_of(job), **auth).content)["position"] == 2
    # A write the ORM makes in bulk (a worker's claim is one) bumps the stamp too.
    ExtractionJob.objects.filter(pk=ahead.pk).update(state=JobState.CANCELLED)
    moved = fast.get(path_of(job), **auth)
    assert json.loads(moved.content)["position"] == 1
    assert moved.content == django.get(path_of(job), **auth).content


def test_an_erased_job_is_not_found_at_once():
    user, auth = caller()
    job = upload(user)
    fast, _, _ = pair()
    fast.get(path_of(job), **auth)
    ExtractionJob.objects.filter(pk=job.pk).delete()
    assert fast.get(path_of(job), **auth).status_code == 404


def test_a_revoked_token_is_refused_at_once():
    user, auth = caller()
    job = upload(user)
    fast, _, _ = pair()
    fast.get(path_of(job), **auth)
    assert fast.get(path_of(job), **auth).status_code == 200
    ApiToken.objects.get(user=user).revoke()
    assert fast.get(path_of(job), **auth).status_code == 401


def test_a_deactivated_user_is_refused_at_once():
    user, auth = caller()
    job = upload(user)
    fast, _, _ = pair()
    fast.get(path_of(job), **auth)
    user.is_active = False
    user.save()
    assert fast.get(path_of(job), **auth).status_code == 401


def test_a_new_tier_shows_in_the_allowance_at_once():
    user, auth = caller()
    job = upload(user)
    fast, django, _ = pair()
    fast.get(path_of(job), **auth)
    before = int(fast.get(path_of(job), **auth)["X-Quota-Limit"])
    Account.objects.filter(user=user).update(tier=Tier.PREMIUM)
    after = fast.get(path_of(job), **auth)
    assert int(after["X-Quota-Limit"]) > before
    assert after["X-Quota-Limit"] == django.get(path_of(job), **auth)["X-Quota-Limit"]


def test_another_callers_token_gets_nothing_kept_for_the_owner():
    owner, auth = caller("owner")
    _, stranger = caller("stranger")
    job = upload(owner)
    fast, _, spy = pair()
    fast.get(path_of(job), **auth)
    fast.get(path_of(job), **auth)
    assert fast.get(path_of(job), **stranger).status_code == 404
    assert fast.get(path_of(job), HTTP_AUTHORIZATION="Token nonsense").status_code == 401
    assert len(spy.paths) == 3


def test_the_same_job_spelt_otherwise_is_the_same_kept_answer():
    user, auth = caller()
    job = upload(user)
    fast, _, spy = pair()
    fast.get(path_of(job), **auth)
    upper = fast.get(f"/api/v1/extractions/{str(job.pk).upper()}", **auth)
    assert upper.status_code == 200 and len(spy.paths) == 1


def test_the_limit_is_counted_once_and_its_refusal_is_djangos(settings, monkeypatch, one_window):
    settings.RATELIMIT_CHEAP_READS = "3/m"
    user, auth = caller()
    job = upload(user)
    counted = []
    real = ratelimits.check_all

    def counting(request, limits):
        counted.append(1)
        return real(request, limits)

    monkeypatch.setattr(ratelimits, "check_all", counting)  # the fast path's count
    fast, _, spy = pair()
    codes = [fast.get(path_of(job), **auth).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    # Learnt by the first poll (Django counts it); two refusals left to Django.
    assert spy.paths == [path_of(job)] * 3
    assert len(counted) == 4, "a poll was counted twice or not at all"


@pytest.mark.parametrize(
    "extra",
    [
        {"QUERY_STRING": "format=json"},
        {"HTTP_COOKIE": "sessionid=abc"},
        {"HTTP_IF_NONE_MATCH": '"x"'},
        {"HTTP_ACCEPT": "text/html"},
        {"HTTP_X_MANAGE_TOKEN": "abc"},
        {"HTTP_HOST": "evil.example.net"},
    ],
    ids=["query", "cookie", "conditional", "accept", "manage token", "foreign host"],
)
def test_polls_that_are_not_plain_go_to_django(extra):
    user, auth = caller()
    job = upload(user)
    fast, _, spy = pair()
    fast.get(path_of(job), **auth)
    spy.paths.clear()
    fast.get(path_of(job), **auth, **extra)
    assert spy.paths == [path_of(job)]


def test_a_running_job_counts_down_as_djangos_answer_does():
    user, auth = caller()
    job = upload(user)
    ExtractionJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, started_at=timezone.now() - timedelta(seconds=3)
    )
    fast, django, spy = pair()
    fast.get(path_of(job), **auth)
    kept = json.loads(fast.get(path_of(job), **auth).content)
    fresh = json.loads(django.get(path_of(job), **auth).content)
    assert spy.paths == [path_of(job)] * 2
    assert kept["status"] == "running" and kept["position"] == 0
    assert abs(kept["eta_seconds"] - fresh["eta_seconds"]) <= 1


def test_a_job_whose_place_asks_the_database_is_always_djangos():
    user, auth = caller()
    job = upload(user)
    ExtractionJob.objects.filter(pk=job.pk).update(priority=Priority.BACKGROUND)
    fast, _, spy = pair()
    for _ in range(3):
        assert fast.get(path_of(job), **auth).status_code == 200
    assert spy.paths == [path_of(job)] * 3


def test_an_anonymous_job_polled_without_credentials_is_kept_too():
    job = upload(None)
    fast, django, spy = pair()
    fast.get(path_of(job))
    again = fast.get(path_of(job))
    assert spy.paths == [path_of(job)]
    assert again.content == django.get(path_of(job)).content


def test_kept_answers_age_out(settings, monkeypatch):
    settings.POLL_ANSWERS_MAX_AGE_S = 5
    user, auth = caller()
    job = upload(user)
    fast, _, spy = pair()
    fast.get(path_of(job), **auth)
    now = polls.time.monotonic()
    monkeypatch.setattr(polls.time, "monotonic", lambda: now + 6)
    fast.get(path_of(job), **auth)
    assert spy.paths == [path_of(job)] * 2


def test_stamps_gone_from_disk_are_never_trusted(settings):
    import shutil
    from pathlib import Path

    user, auth = caller()
    job = upload(user)
    fast, _, spy = pair()
    fast.get(path_of(job), **auth)
    shutil.rmtree(Path(settings.DATA_DIR) / "run" / "stamps")
    stamps._maps.clear()  # as a process that had not read them yet
    fast.get(path_of(job), **auth)
    assert spy.paths == [path_of(job)] * 2
    fast.get(path_of(job), **auth)  # made again by Django's answer: kept again
    assert spy.paths == [path_of(job)] * 2


def test_none_kept_when_told_so(settings):
    settings.POLL_ANSWERS_KEPT = 0
    assert polls.fast_polls() is None
    user, auth = caller()
    job = upload(user)
    spy = SpyHandler()
    fast = WsgiClient(fastpath.FastPath(spy, [polls.PollAnswers()]))
    fast.get(path_of(job), **auth)
    fast.get(path_of(job), **auth)
    assert spy.paths == [path_of(job)] * 2 and not polls.kept.entries


def test_the_entry_point_has_the_poll_answerer():
    from cv2web.wsgi import application

    fast = application
    while not isinstance(fast, fastpath.FastPath):
        fast = fast.app
    assert any(isinstance(a, polls.PollAnswers) for a in fast.answerers)


def test_a_new_typical_duration_or_days_count_changes_the_kept_answer():
    from django.core.cache import cache

    from quotas.policy import usage_key_of

    user, auth = caller()
    job = upload(user)
    fast, django, spy = pair()
    fast.get(path_of(job), **auth)
    before = fast.get(path_of(job), **auth)
    cache.set(queue.TYPICAL_KEY, 600.0, 60)  # another process measured slower runs
    slower = fast.get(path_of(job), **auth)
    assert json.loads(slower.content)["eta_seconds"] > json.loads(before.content)["eta_seconds"]
    assert slower["ETag"] != before["ETag"]

    class Caller:
        client_bucket = ""

    Caller.user = user
    cache.set(usage_key_of(Caller()), 3, 60)  # another process counted three uploads
    counted = fast.get(path_of(job), **auth)
    assert int(counted["X-Quota-Remaining"]) == int(before["X-Quota-Limit"]) - 3
    assert spy.paths == [path_of(job)]
    assert counted.content == django.get(path_of(job), **auth).content


def test_a_finished_job_is_not_kept():
    user, auth = caller()
    job = upload(user)
    ExtractionJob.objects.filter(pk=job.pk).update(state=JobState.CANCELLED)
    fast, _, spy = pair()
    fast.get(path_of(job), **auth)
    fast.get(path_of(job), **auth)
    assert spy.paths == [path_of(job)] * 2 and not polls.kept.entries


def test_a_poll_read_with_a_session_is_not_kept_for_plain_polls():
    job = upload(None)
    fast, _, spy = pair()
    fast.get(path_of(job), HTTP_COOKIE="sessionid=abc")
    assert not polls.kept.entries
    fast.get(path_of(job))
    fast.get(path_of(job))
    assert spy.paths == [path_of(job)] * 2  # the cookie-less one learnt and kept


@pytest.mark.parametrize(
    "extra, status, code",
    [
        ({"HTTP_AUTHORIZATION": "Token " + "k" * 100_000}, 401, "authentication_failed"),
        ({"HTTP_AUTHORIZATION": "Token a\r\nX-Injected: 1"}, 401, "authentication_failed"),
        # Another scheme is no credential: an anonymous caller, who may not see the job.
        ({"HTTP_AUTHORIZATION": "Bearer " + "b" * 100_000}, 404, "not_found"),
    ],
    ids=["100 KB token", "header injection", "100 KB other scheme"],
)
def test_hostile_credentials_get_djangos_clear_refusal(extra, status, code):
    user, auth = caller()
    job = upload(user)
    fast, _, spy = pair()
    fast.get(path_of(job), **auth)
    r = fast.get(path_of(job), **extra)
    assert r.status_code == status
    assert json.loads(r.content)["error"] == code
    assert spy.paths == [path_of(job)] * 2


def test_a_malformed_id_is_djangos_not_found_and_a_hostile_request_id_is_not_echoed():
    user, auth = caller()
    job = upload(user)
    fast, _, spy = pair()
    fast.get(path_of(job), **auth)
    bad = "/api/v1/extractions/" + "g" * 32
    assert fast.get(bad, **auth).status_code == 404
    dashes = "/api/v1/extractions/" + "-" * 36  # matches the path, is no UUID
    assert fast.get(dashes, **auth).status_code == 404
    for hostile in ("x" * 100_000, "abc\r\nSet-Cookie: a=b", "<script>"):
        r = fast.get(path_of(job), HTTP_X_REQUEST_ID=hostile, **auth)
        assert r.status_code == 200 and r["X-Request-ID"] != hostile
        assert len(r["X-Request-ID"]) == 32
    assert spy.paths == [path_of(job), bad, dashes]
