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

from django.core.cache.backends.base import DEFAULT_TIMEOUT
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


# count_hits_batched's script: a process's hits since its last sync added at
# once; the counter made with its time to live when these are its first.
_COUNT_BY = """
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class _Batch:
    """A rate-limit counter as one process sees it between two syncs."""

    __slots__ = ("hits", "flushed", "known", "synced", "expires", "lock")

    def __init__(self, expires: float) -> None:
        self.hits = itertools.count(1)  # this process's hits, numbered atomically
        self.flushed = 0  # how many of them Redis has
        self.known = 0  # the counter in Redis at the last sync
        self.synced = 0.0  # time.monotonic() of the last sync; 0: never
        self.expires = expires
        self.lock = threading.Lock()


# By the counter's full key: every RedisCache object of a process (one per
# thread, and the rate-limit alias) shares them.
_batches: dict[str, _Batch] = {}
_batches_lock = threading.Lock()
# Values read for cheap reads (get_many_near), by full key: (value or _ABSENT,
# time.monotonic() when read).
_near: dict[str, tuple[Any, float]] = {}
_ABSENT = object()
_NEAR_MAX = 10_000


class RedisCache(_RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with `RedisCacheClient` above."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._count_scripts: dict[int, Any] = {}
        self._count_get_scripts: dict[int, Any] = {}
        self._count_by_scripts: dict[int, Any] = {}

    def validate_key(self, key) -> None:
        """Any key Redis takes: not checked for memcached's rules, a walk over
        every character of every key in Python (keys never go to memcached)."""

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

    def count_hit_batched(
        self, key: str, timeout: int, limit: int, every: float, version: int | None = None
    ) -> int:
        """One more hit on the counter at `key`, counted in this process and
        sent to Redis in batches: at a process's first hit on the counter (a
        round trip each process waits for), then at least every `every`
        seconds and on every hit that may be over `limit`. The count given is
        the counter at the last sync plus this process's hits since, so other
        processes' hits since then are missing from it: a client at its limit
        gets at most the hits the other processes take in `every` seconds
        more (cheap reads: issue 13, one round trip per read was about as much
        as the rest of the read). The counter is the one `count_hit` counts."""
        made = self.make_and_validate_key(key, version=version)
        batch = _batches.get(made)
        if batch is None or batch.expires <= time.time():
            with _batches_lock:
                batch = _batches.get(made)
                if batch is None or batch.expires <= time.time():
                    if len(_batches) >= _NEAR_MAX:
                        now = time.time()
                        for old in [k for k, b in _batches.items() if b.expires <= now]:
                            del _batches[old]
                    if len(_batches) >= _NEAR_MAX:
                        # So many clients within one window: each counted
                        # exactly, one round trip a hit, rather than a table
                        # without bound.
                        return self.count_hit(key, timeout, version=version)
                    batch = _batches[made] = _Batch(time.time() + max(int(timeout), 1))
        hits = next(batch.hits)
        count = batch.known + hits - batch.flushed
        first = batch.synced == 0.0
        due = first or count > limit or time.monotonic() - batch.synced >= every
        if due and batch.lock.acquire(blocking=first):
            try:
                delta = max(hits - batch.flushed, 0)
                if delta or batch.synced == 0.0:
                    client = self._cache.get_client(made, write=True)
                    script = self._count_by_scripts.get(id(client))
                    if script is None:
                        script = self._count_by_scripts[id(client)] = client.register_script(
                            _COUNT_BY
                        )
                    total = int(script(keys=[made], args=[int(timeout), delta]))
                    batch.flushed += delta
                    batch.known = total
                batch.synced = time.monotonic()
            finally:
                batch.lock.release()
            count = batch.known + max(hits - batch.flushed, 0)
        return count

    def get_many_near(self, keys: list[str], max_age: float, version: int | None = None):
        """`get_many(keys)`, each value read from Redis at most `max_age`
        seconds ago (absence too) and kept by this process in between: what
        cheap reads read (the status, the typical duration, a caller's day
        count, change stamps). This process's own writes to a key drop its
        copy at once; another process's are seen within `max_age`."""
        now = time.monotonic()
        made = {self.make_and_validate_key(k, version=version): k for k in keys}
        found: dict[str, Any] = {}
        missing = []
        for full, key in made.items():
            kept = _near.get(full)
            if kept is not None and now - kept[1] < max_age:
                if kept[0] is not _ABSENT:
                    found[key] = kept[0]
            else:
                missing.append(full)
        if missing:
            client = self._cache.get_client(missing[0])
            values = client.mget(missing)
            loads = self._cache._serializer.loads
            read = time.monotonic()
            if len(_near) >= _NEAR_MAX:
                _near.clear()
            for full, raw in zip(missing, values, strict=True):
                value = _ABSENT if raw is None else loads(raw)
                _near[full] = (value, read)
                if value is not _ABSENT:
                    found[made[full]] = value
        return found

    def _forget_near(self, keys, version=None) -> None:
        if _near:
            for key in keys:
                _near.pop(self.make_key(key, version=version), None)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._forget_near([key], version)
        super().set(key, value, timeout, version)
        self._forget_near([key], version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._forget_near([key], version)
        return super().add(key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        self._forget_near(list(data), version)
        failed = super().set_many(data, timeout, version)
        self._forget_near(list(data), version)
        return failed

    def delete(self, key, version=None):
        self._forget_near([key], version)
        return super().delete(key, version)

    def delete_many(self, keys, version=None):
        keys = list(keys)
        self._forget_near(keys, version)
        return super().delete_many(keys, version)

    def incr(self, key, delta=1, version=None):
        self._forget_near([key], version)
        return super().incr(key, delta, version)

    def clear(self):
        _near.clear()
        _batches.clear()
        return super().clear()


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


def read_near(keys: list[str]) -> dict[str, Any]:
    """The default cache's `get_many(keys)`, through this process's copies of
    what it read at most CHEAP_READ_NEAR_S ago when the cache is Redis
    (RedisCache.get_many_near): for the pages every visitor reads, whose
    inputs are shared and cached anyway (the upload page)."""
    from django.conf import settings
    from django.core.cache import cache

    near = settings.CHEAP_READ_NEAR_S
    get_near = getattr(cache, "get_many_near", None)
    if near > 0 and get_near is not None:
        return get_near(keys, near)
    return cache.get_many(keys)
