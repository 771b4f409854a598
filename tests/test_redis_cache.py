"""The Redis cache backend (cv2web.cache): Django's, with one Redis client per
connection pool instead of one built for every operation. Against the real
Redis of this machine."""

from __future__ import annotations

import threading

import pytest
import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from cv2web.cache import RedisCache

LOCATION = "redis://127.0.0.1:6379/11"


@pytest.fixture
def cache():
    backend = RedisCache(LOCATION, {"KEY_PREFIX": "cv2web-cache-test"})
    backend.clear()
    yield backend
    backend.clear()


def test_it_is_djangos_backend_that_answers_as_before(cache):
    assert isinstance(cache, DjangoRedisCache)
    cache.set("a", {"n": 1}, timeout=30)
    assert cache.get("a") == {"n": 1}
    assert cache.add("a", 2) is False
    assert cache.add("n", 1) is True and cache.incr("n", 2) == 3
    assert cache.get_many(["a", "missing"]) == {"a": {"n": 1}}
    cache.delete("a")
    assert cache.get("a") is None


def test_a_client_is_built_once_per_pool_not_per_operation(cache, monkeypatch):
    cache = RedisCache(LOCATION, {"KEY_PREFIX": "cv2web-cache-test"})  # none built yet
    built = []
    real_init = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    for i in range(20):
        cache.set(f"k{i}", i, timeout=30)
        assert cache.get(f"k{i}") == i
    assert len(built) == 1
    # Django's own builds one for every operation: what this backend saves.
    django_cache = DjangoRedisCache(LOCATION, {"KEY_PREFIX": "cv2web-cache-test"})
    built.clear()
    for i in range(5):
        django_cache.get(f"k{i}")
    assert len(built) == 5


def test_threads_share_the_client_safely(cache):
    errors = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                cache.set(f"t{n}-{i}", i, timeout=30)
                assert cache.get(f"t{n}-{i}") == i
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache._cache._clients) == 1


def test_a_redis_cache_url_selects_this_backend(tmp_path):
    import subprocess
    import sys

    from tests.conftest import REPO
    from tests.processes import child_env

    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=REPO,
        env=child_env(
            {
                "CACHE_URL": LOCATION,
                "DATA_DIR": str(tmp_path),
                "DJANGO_SETTINGS_MODULE": "cv2web.settings",
            }
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-1] == "cv2web.cache.RedisCache"
