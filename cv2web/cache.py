"""Django's Redis cache backend, with one Redis client per connection pool.

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

import threading
from typing import Any

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


class RedisCache(_RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with `RedisCacheClient` above."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._count_scripts: dict[int, Any] = {}

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
