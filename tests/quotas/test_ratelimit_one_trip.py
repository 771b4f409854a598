"""Rate limits counted in one round trip to Redis (cv2web.cache.RedisCache.
count_hit), against the real Redis of this machine: the same counter as
django-ratelimit's, the same refusals, one command sent per check where
django-ratelimit's add, EXISTS and INCR took three (issue 13)."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from django.core.cache import caches
from django.test import RequestFactory, override_settings
from django_ratelimit.core import get_usage

from cv2web.cache import RedisCache
from quotas import ratelimits
from tests.helpers import count_redis_commands

LOCATION = "redis://127.0.0.1:6379/12"
PREFIX = "cv2web-ratelimit-test"


@pytest.fixture
def redis_limits(settings):
    locmem = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    redis_cache = {"BACKEND": "cv2web.cache.RedisCache", "LOCATION": LOCATION, "KEY_PREFIX": PREFIX}
    with override_settings(
        CACHES={"default": locmem, "ratelimit": redis_cache}, RATELIMIT_USE_CACHE="ratelimit"
    ):
        caches["ratelimit"].clear()
        ratelimits.reset_breakers()
        yield caches["ratelimit"]
        caches["ratelimit"].clear()
    ratelimits.reset_breakers()


def _request(address: str = "198.51.100.7"):
    request = RequestFactory().get("/api/v1/status", REMOTE_ADDR=address)
    request.client_bucket = address
    return request


def test_count_hit_makes_the_counter_with_its_time_to_live_and_adds_one():
    cache = RedisCache(LOCATION, {"KEY_PREFIX": PREFIX})
    cache.clear()
    try:
        assert [cache.count_hit("k", 65) for _ in range(3)] == [1, 2, 3]
        assert cache.get("k") == 3  # the integer Django's add and incr keep
        assert cache.incr("k") == 4 and cache.count_hit("k", 65) == 5
        raw = redis.Redis.from_url(LOCATION)
        ttl = raw.ttl(cache.make_and_validate_key("k"))
        assert 60 < ttl <= 65
    finally:
        cache.clear()


def test_it_counts_the_counter_django_ratelimit_counts(redis_limits, one_window):
    request = _request()
    subject = ratelimits.subject_of(request)
    counts = []
    for _ in range(3):
        counts.append(ratelimits._ask_cache(request, "cheap-read", "100/m")["count"])
        usage = get_usage(
            request, group="cheap-read", key=lambda g, r: subject, rate="100/m", increment=True
        )
        counts.append(usage["count"])
    assert counts == [1, 2, 3, 4, 5, 6]


def test_the_limit_refuses_past_its_rate_as_before(redis_limits, one_window):
    request = _request("198.51.100.8")
    decisions = [ratelimits.check(request, "cheap-read", "3/m") for _ in range(5)]
    assert [d.limited for d in decisions] == [False, False, False, True, True]
    assert decisions[3].first_refusal and not decisions[4].first_refusal
    assert 1 <= decisions[3].retry_after <= 60
    # Another client has its own counter.
    assert not ratelimits.check(_request("198.51.100.9"), "cheap-read", "3/m").limited


def test_a_check_sends_one_command_to_redis(redis_limits, monkeypatch):
    request = _request("198.51.100.10")
    ratelimits.check(request, "cheap-read", "100/m")  # connects (and says hello) first
    sent = count_redis_commands(monkeypatch)
    ratelimits.check(request, "cheap-read", "100/m")
    assert len(sent) == 1


def test_a_cache_without_count_hit_still_counts_through_django_ratelimit(one_window):
    plain = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "plain"}
    with override_settings(CACHES={"default": plain}, RATELIMIT_USE_CACHE="default"):
        assert not hasattr(caches["default"], "count_hit")
        request = _request("198.51.100.11")
        assert [ratelimits._ask_cache(request, "g", "100/m")["count"] for _ in range(2)] == [1, 2]


def test_the_embedded_local_memory_cache_counts_with_its_own_counters(settings, one_window):
    cache = caches[settings.RATELIMIT_USE_CACHE]
    assert hasattr(cache, "count_hit")
    cache.clear()
    assert [cache.count_hit("k", 60) for _ in range(3)] == [1, 2, 3]
    assert [cache.count_hit("gone", 0) for _ in range(2)] == [1, 1]  # expired: anew
    cache.delete("k")
    assert cache.count_hit("k", 60) == 1
    cache.clear()
    assert cache.count_hit("k", 60) == 1
    decisions = [ratelimits.check(_request("198.51.100.13"), "cheap-read", "2/m") for _ in range(3)]
    assert [d.limited for d in decisions] == [False, False, True]
    assert decisions[2].first_refusal
    # Another client has its own counter.
    assert not ratelimits.check(_request("198.51.100.14"), "cheap-read", "2/m").limited


def test_local_memory_counts_lose_no_hit_across_threads(settings):
    # Eight threads counting one key at once: every hit counted once, no
    # number given twice (the count takes no lock).
    cache = caches[settings.RATELIMIT_USE_CACHE]
    cache.clear()
    seen: list[int] = []

    def count():
        seen.extend(cache.count_hit("shared", 60) for _ in range(2000))

    threads = [threading.Thread(target=count) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(1, 16001))


def test_local_memory_reads_without_the_lock_still_expire(settings):
    cache = caches["default"]
    cache.set("short", "v", timeout=60)
    assert cache.get("short") == "v" and cache.get_many(["short", "none"]) == {"short": "v"}
    cache.set("short", "v", timeout=0.01)
    time.sleep(0.05)
    assert cache.get("short", "default") == "default" and cache.get_many(["short"]) == {}
    assert not cache.has_key("short")
    cache.set("none", None)
    assert cache.get("none", "default") is None


def test_redis_down_lets_the_request_through_as_before(settings):
    ratelimits.reset_breakers()
    down = {
        "BACKEND": "cv2web.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1},
    }
    locmem = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    with override_settings(
        CACHES={"default": locmem, "ratelimit": down}, RATELIMIT_USE_CACHE="ratelimit"
    ):
        before = ratelimits.cache_errors()
        assert not ratelimits.check(_request(), "cheap-read", "1/m").limited
        assert ratelimits.cache_errors() == before + 1
    ratelimits.reset_breakers()
