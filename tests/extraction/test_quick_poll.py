"""A job polled through the API's quick path (issue 13): the same answer as
DRF gives, byte for byte and header for header, for every caller and state;
anything the quick path does not judge (a bad token, a foreign id, the rate
limit, an unusual Accept) answered by DRF exactly as before."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from extraction import access
from extraction.models import Document, ExtractionJob, JobState, Mode, Priority
from extraction.serializers import ExtractionJobSerializer, job_data
from quotas.models import ApiToken

pytestmark = pytest.mark.django_db

URL = "/api/v1/extractions"
# Differs from one answer to the next whatever the path.
VOLATILE = {"X-Request-ID"}


def document(n: int = 0, **fields) -> Document:
    return Document.objects.create(
        sha256=f"{n:064x}",
        kind="pdf",
        size=1234 + n,
        pages=2,
        original_name=f"cv-{n}.pdf",
        storage_name=f"stored-{n}-{uuid.uuid4().hex}",
        **fields,
    )


def job(n: int = 0, owner=None, **fields) -> ExtractionJob:
    return ExtractionJob.objects.create(
        document=document(n, owner=owner),
        owner=owner,
        extractor="local",
        fingerprint="f" * 64,
        cache_key=f"key-{n}",
        **fields,
    )


def jobs_in_every_state(owner) -> list[ExtractionJob]:
    now = timezone.now()
    queued = job(1, owner)
    background = job(2, owner, mode=Mode.BACKGROUND, priority=Priority.BACKGROUND)
    running = job(3, owner, state=JobState.RUNNING, started_at=now, attempts=1)
    succeeded = job(
        4,
        owner,
        state=JobState.SUCCEEDED,
        started_at=now - dt.timedelta(seconds=3),
        finished_at=now,
        attempts=1,
        result={"work": [{"name": "Acme"}], "basics": {"name": "Ada Lovelace — 数学"}},
        warnings=["Dates unclear\u2028here"],
        confidence={"basics.name": "high", "work[0]": "disagree"},
        extractor_used="claude",
    )
    failed = job(
        5,
        owner,
        state=JobState.FAILED,
        finished_at=now,
        error_code="unreadable",
        error_message="No text in this file.",
        attempts=2,
    )
    cancelled = job(6, owner, state=JobState.CANCELLED, finished_at=now)
    duplicate = job(7, owner, joined_to=running, cached=True)
    anonymous = job(8, None)
    return [queued, background, running, succeeded, failed, cancelled, duplicate, anonymous]


def fresh(j: ExtractionJob) -> ExtractionJob:
    return ExtractionJob.objects.select_related("document").get(pk=j.pk)


class _Request:
    def __init__(self, user):
        self.user = user


@pytest.mark.parametrize("who", ["owner", "staff", "anonymous"])
def test_job_data_is_what_the_serializer_gives_in_every_state(who, alice, staff):
    from django.contrib.auth.models import AnonymousUser

    user = {"owner": alice, "staff": staff, "anonymous": AnonymousUser()}[who]
    for j in jobs_in_every_state(alice):
        context = {"request": _Request(user)}
        want = ExtractionJobSerializer(fresh(j), context=context).data
        got = job_data(fresh(j), context)
        assert got == want, j.state
        assert list(got) == list(want)


def test_job_for_reads_what_the_orm_reads(alice, staff, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    bob = django_user_model.objects.create_user("bob", "bob@example.com", "pw-bob-1234")
    jobs = jobs_in_every_state(alice)
    for user in (alice, bob, staff, AnonymousUser()):
        for j in jobs:
            visible = ExtractionJob.objects.filter(pk=j.pk).visible_to(user).exists()
            if not visible:
                with pytest.raises(access.Http404):
                    access.job_for(_Request(user), j.pk)
                continue
            got = access.job_for(_Request(user), j.pk)
            want = fresh(j)
            for field in ExtractionJob._meta.concrete_fields:
                assert getattr(got, field.attname) == getattr(want, field.attname), field.name
            for field in Document._meta.concrete_fields:
                assert getattr(got.document, field.attname) == getattr(
                    want.document, field.attname
                ), field.name
    # Bob sees the anonymous job only; nobody sees a job that is not there.
    assert {str(j.pk) for j in jobs if _sees(bob, j)} == {str(jobs[-1].pk)}
    with pytest.raises(access.Http404):
        access.job_for(_Request(staff), uuid.uuid4())


def _sees(user, j) -> bool:
    try:
        access.job_for(_Request(user), j.pk)
    except access.Http404:
        return False
    return True


def token_client(user) -> tuple[Client, ApiToken]:
    token, key = ApiToken.issue(user, "poll")
    return Client(HTTP_AUTHORIZATION=f"Token {key}"), token


def through_drf(client: Client, url: str, **extra):
    """The same request, answered by DRF (a query string takes it there)."""
    return client.get(url + "?through=drf", **extra)


def same_answer(quick, slow) -> None:
    assert quick.status_code == slow.status_code
    assert quick.content == slow.content
    assert {k: v for k, v in quick.items() if k not in VOLATILE} == {
        k: v for k, v in slow.items() if k not in VOLATILE
    }


def test_a_poll_answers_as_drf_would_for_every_state(alice):
    client, _ = token_client(alice)
    for j in jobs_in_every_state(alice):
        url = f"{URL}/{j.pk}"
        quick = client.get(url)
        assert quick.status_code == 200
        same_answer(quick, through_drf(client, url))
        assert quick["Content-Type"] == "application/json"
        assert quick["Cache-Control"] == "no-store"
        assert quick["Allow"] == "GET, DELETE, HEAD, OPTIONS"
        assert "X-Quota-Limit" in quick and "ETag" in quick
        assert "Content-Security-Policy" in quick
        assert quick["X-Content-Type-Options"] == "nosniff"
        assert quick["X-Frame-Options"] == "DENY"
        head = client.head(url)
        assert head.status_code == 200
        same_answer(head, client.head(url + "?through=drf"))


def test_a_poll_takes_two_queries_for_a_queued_job_and_no_serializer(alice, monkeypatch):
    from extraction import serializers

    client, _ = token_client(alice)
    j = job(1, alice)
    client.get(f"{URL}/{j.pk}")  # the token's last use written, the estimate cached

    def refuse(*args, **kwargs):
        raise AssertionError("the serializer was built")

    monkeypatch.setattr(serializers.ExtractionJobSerializer, "__init__", refuse)
    with CaptureQueriesContext(connection) as queries:
        r = client.get(f"{URL}/{j.pk}")
    assert r.status_code == 200 and r.json()["position"] == 1
    # The token with its user and account; the job with its document and its
    # place, in one statement.
    assert len(queries) == 2, [q["sql"] for q in queries]


def test_a_revoked_token_is_refused_at_once(alice):
    client, token = token_client(alice)
    url = f"{URL}/{job(1, alice).pk}"
    assert client.get(url).status_code == 200
    token.revoke()
    r = client.get(url)
    assert r.status_code == 401
    assert r.json()["error"] == "not_authenticated" or r.json()["error"]
    same_answer(r, through_drf(client, url))


def test_a_deactivated_user_is_refused_at_once(alice):
    client, _ = token_client(alice)
    url = f"{URL}/{job(1, alice).pk}"
    assert client.get(url).status_code == 200
    alice.is_active = False
    alice.save()
    assert client.get(url).status_code == 401


def test_a_finished_job_shows_its_new_state_at_once(alice):
    client, _ = token_client(alice)
    j = job(1, alice)
    url = f"{URL}/{j.pk}"
    assert client.get(url).json()["status"] == "queued"
    ExtractionJob.objects.filter(pk=j.pk).update(
        state=JobState.SUCCEEDED, finished_at=timezone.now()
    )
    j.refresh_from_db()
    j.result = {"basics": {"name": "Ada"}}
    j.save()
    body = client.get(url).json()
    assert body["status"] == "succeeded" and body["result"] == {"basics": {"name": "Ada"}}
    assert body["position"] is None


def test_bad_tokens_foreign_and_missing_ids_get_the_same_errors(alice, django_user_model):
    bob = django_user_model.objects.create_user("bob", "bob@example.com", "pw-bob-1234")
    client, _ = token_client(alice)
    bobs = f"{URL}/{job(1, bob).pk}"
    missing = f"{URL}/{uuid.uuid4()}"
    for url in (bobs, missing):
        r = client.get(url)
        assert r.status_code == 404
        same_answer(r, through_drf(client, url))
    for header in ("Token nope", "Token ", "Token a b", "Bearer x", "Token cv2w_" + "x" * 200):
        r = Client(HTTP_AUTHORIZATION=header).get(bobs)
        assert r.status_code in (401, 404)
        same_answer(r, through_drf(Client(HTTP_AUTHORIZATION=header), bobs))
    # A job without an owner is seen by whoever holds its id, with or without a token.
    anonymous = f"{URL}/{job(2, None).pk}"
    assert client.get(anonymous).status_code == 200
    same_answer(Client().get(anonymous), through_drf(Client(), anonymous))


def test_an_accept_header_drf_would_refuse_is_still_refused(alice):
    client, _ = token_client(alice)
    url = f"{URL}/{job(1, alice).pk}"
    assert client.get(url, HTTP_ACCEPT="text/html").status_code == 406
    assert client.get(url, HTTP_ACCEPT="application/json").status_code == 200


def test_each_poll_counts_once_against_the_cheap_read_limit(alice, settings, one_window):
    settings.RATELIMIT_CHEAP_READS = "4/m"
    client, _ = token_client(alice)
    mine = f"{URL}/{job(1, alice).pk}"
    missing = f"{URL}/{uuid.uuid4()}"
    # A refused poll (404) counts once, as through DRF; the fifth is refused.
    codes = [client.get(u).status_code for u in (mine, missing, mine, mine, mine)]
    assert codes == [200, 404, 200, 200, 429]
    refused = client.get(mine)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused.json()["error"] == "rate_limited"


def test_the_token_use_is_noted_at_most_once_a_minute(alice):
    client, token = token_client(alice)
    url = f"{URL}/{job(1, alice).pk}"
    client.get(url)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(url)
    token.refresh_from_db()
    assert token.last_used_at == first
