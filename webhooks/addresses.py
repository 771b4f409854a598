"""Where a webhook may go (issue 14 point 4; OWASP SSRF prevention).

A callback URL is something a stranger typed: the service must never become
their way into its own network. The rules, checked when a URL is registered
AND again at every delivery (a name may resolve elsewhere by then: DNS
rebinding):

- http(s) only, https unless WEBHOOK_ALLOW_HTTP (development); no user name or
  password in the URL, no fragment, at most WEBHOOK_URL_MAX_LENGTH characters;
- every address the host resolves to must be a public one: not loopback,
  private, link-local (169.254.0.0/16 holds the cloud metadata services),
  CGNAT (100.64.0.0/10), multicast, reserved, unspecified, nor any network in
  WEBHOOK_BLOCKED_NETWORKS; an IPv6 address that carries an IPv4 one
  (mapped, 6to4, Teredo, NAT64) is judged by the IPv4 address it carries.
  One refused address refuses the URL: a name that answers a public and a
  private address would otherwise be a coin toss.
- WEBHOOK_ALLOW_LOOPBACK lets loopback through (development, and the tests'
  positive path) and nothing else.

`resolve()` answers the checked addresses; the delivery connects to one of
them itself and never asks the resolver again (transport.py).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from cv2web.errors import Refusal

# Replaced by tests (no network): socket.getaddrinfo's signature.
getaddrinfo = socket.getaddrinfo

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
# Not all of these are caught by the stdlib's flags in every Python release.
_ALWAYS_BLOCKED = [
    _CGNAT,
    ipaddress.ip_network("0.0.0.0/8"),
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("198.18.0.0/15"),
    ipaddress.ip_network("fc00::/7"),
    ipaddress.ip_network("fe80::/10"),
]


class UrlRefused(Refusal):
    """A callback URL the service will not call; `code` says which rule."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the address), and what to call it."""

    scheme: str
    hostname: str  # as written (lower-cased), for Host, SNI and the certificate
    port: int
    path: str  # path and query
    addresses: tuple[str, ...]  # every address the name resolved to, all allowed

    @property
    def host_header(self) -> str:
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, hostname, port, path) of an acceptable URL; UrlRefused otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise UrlRefused("invalid_url", "Give the callback URL as an absolute https:// URL.")
    if len(url) > settings.WEBHOOK_URL_MAX_LENGTH:
        raise UrlRefused(
            "url_too_long",
            f"The callback URL is longer than {settings.WEBHOOK_URL_MAX_LENGTH} characters.",
        )
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise UrlRefused("invalid_url", "The callback URL contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
        hostname = (parts.hostname or "").lower()
    except ValueError:
        raise UrlRefused("invalid_url", "The callback URL cannot be read (its port or host).")
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlRefused("scheme_not_allowed", "A callback URL must start with https://.")
    if scheme == "http" and not settings.WEBHOOK_ALLOW_HTTP:
        raise UrlRefused(
            "https_required", "A callback URL must use https://: events are sent encrypted."
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UrlRefused(
            "credentials_in_url",
            "A callback URL must not hold a user name or password: verify our signature "
            "instead (docs/api.md, Webhooks).",
        )
    if parts.fragment or url.endswith("#"):
        raise UrlRefused("invalid_url", "A callback URL must not have a #fragment.")
    if not hostname:
        raise UrlRefused("invalid_url", "The callback URL has no host.")
    try:
        # One spelling for the resolver, the Host header and the certificate.
        hostname = hostname.encode("idna").decode("ascii") if not hostname.isascii() else hostname
    except UnicodeError:
        raise UrlRefused("invalid_url", "The callback URL's host name is not valid.")
    if port == 0:
        raise UrlRefused("invalid_url", "The callback URL's port must be 1 to 65535.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, hostname, port or (443 if scheme == "https" else 80), path


def _carried_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_allowed(address: str) -> bool:
    """May the service send a request to this address?"""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        carried = _carried_ipv4(ip)
        if carried is not None:
            return is_allowed(str(carried))
    if ip.is_loopback:
        return bool(settings.WEBHOOK_ALLOW_LOOPBACK)
    if any(ip in net for net in _blocked_networks() if net.version == ip.version):
        return False
    return ip.is_global and not (
        ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_link_local
    )


def _blocked_networks() -> list:
    extra = [ipaddress.ip_network(n, strict=False) for n in settings.WEBHOOK_BLOCKED_NETWORKS]
    return _ALWAYS_BLOCKED + extra


def resolve(hostname: str, port: int) -> tuple[str, ...]:
    """Every address of `hostname` (an IP literal is its own), each allowed;
    UrlRefused otherwise."""
    try:
        literal = ipaddress.ip_address(hostname)
    except ValueError:
        literal = None
    if literal is not None:
        found = [str(literal)]
    else:
        try:
            infos = getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError):
            raise UrlRefused(
                "unresolvable_host", f"The callback host {hostname[:100]!r} cannot be found."
            )
        found = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not found:
            raise UrlRefused(
                "unresolvable_host", f"The callback host {hostname[:100]!r} cannot be found."
            )
    refused = [a for a in found if not is_allowed(a)]
    if refused:
        raise UrlRefused(
            "address_not_allowed",
            "The callback URL leads to an address the service does not call (a private, "
            "loopback, link-local or otherwise internal network). Use a public address.",
        )
    return tuple(found)


def check(url: str) -> Target:
    """The URL's target, checked now (shape, then every address it resolves to)."""
    scheme, hostname, port, path = parse(url)
    return Target(scheme, hostname, port, path, resolve(hostname, port))
