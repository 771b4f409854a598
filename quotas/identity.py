"""Who is asking: the client's address (SPEC Q-4)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

# Both functions below are pure and run on every counted request (each limit
# and the quota headers ask again): their answers are kept for the addresses
# seen most recently, a bounded memory.
_REMEMBERED = 4096


def _valid_ip(value: str) -> str | None:
    # Longer text is no address anyway; it is not kept (a header's worth each).
    return _parsed_ip(value) if len(value) <= 64 else _parse_ip(value)


def _parse_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


_parsed_ip = lru_cache(maxsize=_REMEMBERED)(_parse_ip)


def client_ip(meta: dict) -> str:
    """REMOTE_ADDR, or the hop TRUSTED_PROXY_COUNT proxies vouch for.

    Each trusted proxy appends the address it saw, so with N proxies the
    client is the N-th entry from the right; anything left of it was written
    by the client and is ignored. A short or malformed header falls back to
    REMOTE_ADDR, so a forged header never buys a fresh identity.
    """
    remote = _valid_ip(meta.get("REMOTE_ADDR", "") or "") or ""
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [h for h in (meta.get("HTTP_X_FORWARDED_FOR", "") or "").split(",") if h.strip()]
    if len(hops) < trusted:
        return remote
    return _valid_ip(hops[-trusted]) or remote


@lru_cache(maxsize=_REMEMBERED)
def client_bucket(ip: str) -> str:
    """The key quotas count under: the address, or its /64 for IPv6."""
    if not ip:
        return "unknown"
    addr = ipaddress.ip_address(ip)
    if addr.version == 6:
        if addr.ipv4_mapped:
            return str(addr.ipv4_mapped)
        return str(ipaddress.ip_network(f"{addr}/64", strict=False))
    return str(addr)
