"""Cheap reads with Redis at no round trip (issue 13), against the real Redis
of this machine: rate-limit counts kept by each process and sent in batches
(cv2web.cache.RedisCache.count_hit_batched), values reused for at most
CHEAP_READ_NEAR_S (get_many_near), and what that costs in exactness, bounded."""

from __future__ import annotations

import multiprocessing

import pytest
import redis
from django.core.cache import caches
from django.test import RequestFactory, override_settings

from cv2web import cache as cv2web_cache
from cv2web.cache import RedisCache
from quotas import ratelimits
from tests.helpers import count_redis_commands

LOCATION = "redis://127.0.0.1:6379/14"
CONFIG = {"BACKEND": "cv2web.cache.RedisCache", "LOCATION": LOCATION, "KEY_PREFIX": "near"}


@pytest.fixture
def near(monkeypatch):
    """A Redis cache as the project configures it (default and rate-limit
    aliases on one store), empty, with a clock the test moves."""
    now = [1000.0]
    monkeypatch.setattr(cv2web_cache.time, "monotonic", lambda: now[0])
    with override_settings(CACHES={"default": CONFIG, "ratelimit": CONFIG}):
        caches["default"].clear()
        ratelimits.reset_breakers()
        yield caches["default"], now
        caches["default"].clear()
    ratelimits.reset_breakers()


def _in_redis(cache, key: str) -> int | None:
    raw = redis.Redis.from_url(LOCATION).get(cache.make_key(key))
    return None if raw is None else int(raw)


def test_a_batch_syncs_first_then_at_most_every_so_often(near, monkeypatch):
    cache, now = near
    assert cache.count_hit_batched("c", 60, 100, 0.25) == 1  # the first hit: synced
    assert _in_redis(cache, "c") == 1
    sent = count_redis_commands(monkeypatch)
    counts = [cache.count_hit_batched("c", 60, 100, 0.25) for _ in range(5)]
    assert counts == [2, 3, 4, 5, 6] and sent == [], "a hit between syncs went to Redis"
    now[0] += 0.3
    assert cache.count_hit_batched("c", 60, 100, 0.25) == 7
    assert _in_redis(cache, "c") == 7, "the batch was not sent whole"


def test_hits_that_may_be_over_the_limit_sync_each_time(near):
    cache, _ = near
    counts = [cache.count_hit_batched("lim", 60, 3, 10.0) for _ in range(5)]
    assert counts == [1, 2, 3, 4, 5] and _in_redis(cache, "lim") == 5
    # Another process's hits are seen at the next sync: here, at once past the limit.
    redis.Redis.from_url(LOCATION).incrby(cache.make_key("lim"), 10)
    assert cache.count_hit_batched("lim", 60, 3, 10.0) == 16


def _count_in_child(n: int, queue) -> None:
    with override_settings(CACHES={"default": CONFIG, "ratelimit": CONFIG}):
        cache = caches["default"]
        cv2web_cache._batches.clear()
        last = [cache.count_hit_batched("shared", 60, 10_000, 0.0) for _ in range(n)][-1]
    queue.put(last)


def test_processes_counting_one_counter_lose_no_hit():
    with override_settings(CACHES={"default": CONFIG, "ratelimit": CONFIG}):
        caches["default"].clear()
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        children = [context.Process(target=_count_in_child, args=(200, queue)) for _ in range(3)]
        for child in children:
            child.start()
        for child in children:
            child.join(60)
        assert [c.exitcode for c in children] == [0, 0, 0]
        assert _in_redis(caches["default"], "shared") == 600
        assert max(queue.get(timeout=5) for _ in range(3)) == 600
        caches["default"].clear()


def test_the_limit_over_batches_refuses_and_fails_open_when_redis_is_down(near, one_window):
    _, now = near
    request = RequestFactory().get("/api/v1/status", REMOTE_ADDR="198.51.100.40")
    request.client_bucket = "198.51.100.40"
    limits = [("cheap-reads", "3/m")]
    decisions = [ratelimits.check_and_read(request, limits, [])[0] for _ in range(5)]
    assert [d.limited for d in decisions] == [False, False, False, True, True]
    assert decisions[3].retry_after >= 1
    down = {**CONFIG, "LOCATION": "redis://127.0.0.1:1/0"}
    down["OPTIONS"] = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    with override_settings(CACHES={"default": down, "ratelimit": down}):
        ratelimits.reset_breakers()
        cv2web_cache._batches.clear()
        before = ratelimits.cache_errors()
        decision, known = ratelimits.check_and_read(request, [("cheap-reads", "1/m")], ["k"])
        assert not decision.limited and known is None
        assert ratelimits.cache_errors() == before + 1


def test_near_values_are_read_once_then_kept_for_their_age(near, monkeypatch):
    cache, now = near
    cache.set("v", {"a": 1})
    assert cache.get_many_near(["v", "gone"], 0.25) == {"v": {"a": 1}}
    sent = count_redis_commands(monkeypatch)
    assert cache.get_many_near(["v", "gone"], 0.25) == {"v": {"a": 1}}
    assert sent == [], "a kept value was read again"
    # Another process writes: seen once the copy is older than its age.
    other = RedisCache(LOCATION, {"KEY_PREFIX": "near"})
    other._cache.get_client(None, write=True).set(
        other.make_key("v"), other._cache._serializer.dumps(2)
    )
    assert cache.get_many_near(["v"], 0.25) == {"v": {"a": 1}}
    now[0] += 0.3
    assert cache.get_many_near(["v"], 0.25) == {"v": 2}


@pytest.mark.parametrize("write", ["set", "set_many", "delete", "add", "incr", "clear"])
def test_this_processes_own_write_is_seen_at_once(near, write):
    cache, _ = near
    cache.set("w", 1)
    cache.get_many_near(["w"], 60)
    expected = {
        "set": lambda: (cache.set("w", 5), {"w": 5}),
        "set_many": lambda: (cache.set_many({"w": 6}), {"w": 6}),
        "delete": lambda: (cache.delete("w"), {}),
        "add": lambda: (cache.delete("w"), cache.add("w", 7), {"w": 7}),
        "incr": lambda: (cache.incr("w"), {"w": 2}),
        "clear": lambda: (cache.clear(), {}),
    }[write]()[-1]
    assert cache.get_many_near(["w"], 60) == expected


def test_a_status_read_and_a_kept_poll_cost_no_trip_to_redis(
    settings, monkeypatch, near, one_window
):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cv2web.fastpath import FastPath
    from extraction import intake, polls
    from monitoring.api import StatusAnswers
    from quotas.models import ApiToken
    from tests.helpers import SpyHandler, WsgiClient

    settings.EXTRACTION_ESTIMATE_CACHE_S = 30
    settings.STATUS_CACHE_SECONDS = 30
    polls.kept.clear()
    user = get_user_model().objects.create_user("near", "near@example.com", "x" * 20)
    _, key = ApiToken.issue(user, "near")
    job = intake.accept(SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n"), owner=user)
    url = f"/api/v1/extractions/{job.pk}"
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    spy = SpyHandler()
    fast = WsgiClient(FastPath(spy, [StatusAnswers(), polls.PollAnswers()]))
    for _ in range(2):
        fast.get("/api/v1/status")
        fast.get(url, **auth)
    sent = count_redis_commands(monkeypatch)
    status, poll = fast.get("/api/v1/status"), fast.get(url, **auth)
    polls.kept.clear()
    assert status.status_code == poll.status_code == 200
    assert sent == [], "a cheap read went to Redis"
    assert spy.paths.count(url) == 1 and spy.paths.count("/api/v1/status") == 1


pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_with_redis_a_revocation_here_is_seen_at_once_and_one_elsewhere_within_its_age(near):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cv2web import stamps
    from cv2web.fastpath import FastPath
    from extraction import intake, polls
    from quotas.models import ApiToken
    from tests.helpers import SpyHandler, WsgiClient

    cache, now = near
    polls.kept.clear()
    user = get_user_model().objects.create_user("rev", "rev@example.com", "x" * 20)
    token, key = ApiToken.issue(user, "rev")
    job = intake.accept(SimpleUploadedFile("cv.txt", b"Ada Example\nada@example.com\n"), owner=user)
    url, auth = f"/api/v1/extractions/{job.pk}", {"HTTP_AUTHORIZATION": f"Token {key}"}
    fast = WsgiClient(FastPath(SpyHandler(), [polls.PollAnswers()]))
    assert fast.get(url, **auth).status_code == 200
    assert fast.get(url, **auth).status_code == 200
    token.revoke()  # this process: its copy of the stamp goes with the bump
    assert fast.get(url, **auth).status_code == 401
    # Another machine's bump (its own Redis write): seen within CHEAP_READ_NEAR_S.
    second, key2 = ApiToken.issue(user, "rev2")
    auth2 = {"HTTP_AUTHORIZATION": f"Token {key2}"}
    fast.get(url, **auth2)
    assert fast.get(url, **auth2).status_code == 200
    from django.db import connection

    with connection.cursor() as cursor:  # another machine's write: no bump here
        cursor.execute(
            f"UPDATE {ApiToken._meta.db_table} SET revoked_at = created_at WHERE id = %s",
            [second.pk],
        )
    raw = redis.Redis.from_url(LOCATION)
    raw.set(cache.make_key("cv2web:stamp:auth"), cache._cache._serializer.dumps("elsewhere"))
    assert stamps.read(("auth",)) is not None
    # Within CHEAP_READ_NEAR_S this process still answers from what it read.
    assert fast.get(url, **auth2).status_code == 200
    now[0] += 0.3
    assert fast.get(url, **auth2).status_code == 401
    polls.kept.clear()


def test_a_flood_of_clients_is_counted_exactly_past_the_tables_bound(near, monkeypatch):
    cache, _ = near
    monkeypatch.setattr(cv2web_cache, "_NEAR_MAX", 3)
    cv2web_cache._batches.clear()
    for i in range(3):
        cache.count_hit_batched(f"client-{i}", 60, 100, 10.0)
    assert len(cv2web_cache._batches) == 3
    assert [cache.count_hit_batched("one-more", 60, 100, 10.0) for _ in range(2)] == [1, 2]
    assert _in_redis(cache, "one-more") == 2 and len(cv2web_cache._batches) == 3
