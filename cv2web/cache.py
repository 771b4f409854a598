"""Django's Redis and local-memory cache backends, with what the request path
needs of them in fewer steps.

Redis: one Redis client per connection pool.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every
cache operation, and redis-py's constructor fills its table of response
callbacks (some 500 entries) each time: in process, most of the CPU of a
cache read that Redis itself answers in microseconds, and every request with
a rate limit, quota headers or a cached fragment makes several (issue 13). A
`redis.Redis` may be shared between threads: it takes a connection from its
pool for each command (redis-py's documentation), so one per pool is kept.
Everything else is Django's backend unchanged.
"""

from __future__ import annotations

import itertools
import pickle
import threading
import time
from collections.abc import Iterator
from typing import Any

from django.core.cache.backends.locmem import LocMemCache as _LocMemCache
from django.core.cache.backends.redis import RedisCache as _RedisCache
from django.core.cache.backends.redis import RedisCacheClient as _RedisCacheClient


class RedisCacheClient(_RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            with self._lock:
                client = self._clients.get(id(pool))
                if client is None:
                    client = self._client(connection_pool=pool)
                    self._clients[id(pool)] = client
        return client


# count_hit's script: the count after one more hit, the counter made with its
# time to live when this hit is its first.
_COUNT_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


# count_hit_and_get's script: count_hit's, then the values at the other keys.
_COUNT_HIT_AND_GET = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
if #KEYS == 1 then
    return {count, {}}
end
return {count, redis.call('MGET', unpack(KEYS, 2))}
"""


class RedisCache(_RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with `RedisCacheClient` above."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._count_scripts: dict[int, Any] = {}
        self._count_get_scripts: dict[int, Any] = {}

    def count_hit(self, key: str, timeout: int, version: int | None = None) -> int:
        """One more hit on the counter at `key`, made with `timeout` seconds to
        live when absent; the count after it. One command (a server-side
        script: INCR, and EXPIRE when the count is new), where the
        add-then-incr of django-ratelimit takes three round trips on this
        backend (Django's `incr` asks EXISTS first): the rate limits of every
        request (quotas.ratelimits). A script rather than a MULTI/EXEC
        pipeline: one reply to read instead of four, a fifth less CPU. The
        counter is the integer Django's `add` and `incr` keep, so both read the
        same value."""
        key = self.make_and_validate_key(key, version=version)
        client = self._cache.get_client(key, write=True)
        script = self._count_scripts.get(id(client))
        if script is None:
            # redis-py's Script sends EVALSHA and loads the script again if the
            # server has forgotten it (a restart).
            script = self._count_scripts[id(client)] = client.register_script(_COUNT_HIT)
        return int(script(keys=[key], args=[int(timeout)]))

    def count_hit_and_get(
        self, key: str, timeout: int, keys: list[str], version: int | None = None
    ) -> tuple[int, dict[str, Any]]:
        """`count_hit(key, timeout)` and `get_many(keys)` in one round trip (a
        cheap read's rate limit and what it reads from the cache: issue 13,
        each trip to Redis cost a cheap read about as much as the rest of its
        answer). `keys` are this cache's keys, made as `get_many` makes them."""
        counter = self.make_and_validate_key(key, version=version)
        made = {self.make_and_validate_key(k, version=version): k for k in keys}
        client = self._cache.get_client(counter, write=True)
        script = self._count_get_scripts.get(id(client))
        if script is None:
            script = self._count_get_scripts[id(client)] = client.register_script(
                _COUNT_HIT_AND_GET
            )
        count, values = script(keys=[counter, *made], args=[int(timeout)])
        loads = self._cache._serializer.loads
        return int(count), {
            made[k]: loads(v) for k, v in zip(made, values, strict=True) if v is not None
        }


# LocMemCache's rate-limit counters, by cache name as Django keeps its entries.
_counters: dict[str, dict[str, tuple[Iterator[int], float]]] = {}


class LocMemCache(_LocMemCache):
    """Django's local-memory cache, read without its lock, with `count_hit`.

    A web worker runs several threads. Django's backend takes one lock for
    every read and write; under load a thread that held it lost the
    interpreter lock, the others queued on it, and each wait cost two thread
    switches (issue 13: a read of the cache cost twice as much with four busy
    threads as with one, and a rate-limit check four times). So:

    - reads (get, get_many) take no lock: each step is one dictionary
      operation, atomic in CPython, and a read racing a write finds the old
      value or the new one, or none (a miss). Reads no longer move an entry
      to the front of the culling order; culling drops the least recently
      *written* entries.
    - `count_hit` (rate limits, as RedisCache's) counts with an
      `itertools.count` per counter: `next()` on it is one atomic step, so no
      hit is lost and no lock is taken but to make a counter. These counters
      live apart from the entries `get`, `add` and `incr` see; `delete` and
      `clear` remove them too.
    - keys are not checked for memcached's rules (they never go there): the
      check walked every character of every key in Python.
    """

    def __init__(self, name, params) -> None:
        super().__init__(name, params)
        self._counters = _counters.setdefault(name, {})

    def validate_key(self, key) -> None:
        """Any key fits a dictionary (see the class's text)."""

    def get(self, key, default=None, version=None):
        return self._read(self.make_key(key, version=version), default)

    def get_many(self, keys, version=None):
        missing = object()
        found = {}
        for k in keys:
            value = self._read(self.make_key(k, version=version), missing)
            if value is not missing:
                found[k] = value
        return found

    def _read(self, key: str, default):
        expires = self._expire_info.get(key, -1)
        if expires is not None and expires <= time.time():
            if expires != -1:  # there, expired: gone, as Django's get does
                with self._lock:
                    if self._has_expired(key):
                        self._delete(key)
            return default
        pickled = self._cache.get(key)
        if pickled is None:
            return default
        return pickle.loads(pickled)  # noqa: S301 - what this process's set() pickled

    def count_hit(self, key: str, timeout: int, version: int | None = None) -> int:
        key = self.make_key(key, version=version)
        counter = self._counters.get(key)
        if counter is not None and counter[1] > time.time():
            return next(counter[0])
        with self._lock:
            counter = self._counters.get(key)
            if counter is not None and counter[1] > time.time():
                return next(counter[0])
            if len(self._counters) >= self._max_entries:
                now = time.time()
                for old in [k for k, (_, end) in self._counters.items() if end <= now]:
                    del self._counters[old]
                while len(self._counters) >= self._max_entries:
                    del self._counters[next(iter(self._counters))]
            counter = (itertools.count(1), time.time() + max(int(timeout), 0))
            self._counters[key] = counter
            return next(counter[0])

    def delete(self, key, version=None):
        made = self.make_key(key, version=version)
        counted = self._counters.pop(made, None) is not None
        return super().delete(key, version=version) or counted

    def clear(self):
        super().clear()
        self._counters.clear()
