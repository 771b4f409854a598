"""One HTTP POST to a checked address, bounded in every way.

- The URL is checked again now (addresses.check) and the connection goes to
  the address that check resolved, never through a second lookup: a name
  that answered a public address to the check cannot answer 127.0.0.1 to the
  connection (DNS rebinding). TLS still verifies the certificate against the
  host name (SNI and hostname check), so an address swap cannot impersonate.
- No redirect is followed (a 3xx is an answer like any other).
- WEBHOOK_CONNECT_TIMEOUT_S to connect; the whole attempt, headers and body,
  is cut at WEBHOOK_TIMEOUT_S by closing the socket, so a receiver that
  trickles a byte at a time cannot hold a worker.
- At most WEBHOOK_MAX_RESPONSE_BYTES of the answer are read (no decoding:
  `Accept-Encoding: identity`, so no decompression bomb either).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import SSLError as Urllib3SSLError
from urllib3.util.ssl_match_hostname import CertificateError

from . import addresses

log = logging.getLogger("cv2web.webhooks")

USER_AGENT = "cv2web-webhooks/1"
EXCERPT_CHARS = 300


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the HTTP status, None when there was none
    error: str  # "" when the receiver answered; otherwise a machine code
    address: str = ""  # where we connected (or would have)
    excerpt: str = ""  # the start of the answer, for staff
    duration_ms: int = 0
    truncated: bool = False  # the answer was longer than the cap and was cut

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """Worth another try later: no answer, or the receiver's own trouble."""
        if self.error in ("timeout", "connection_failed", "unresolvable_host"):
            return True
        return self.status is not None and (self.status >= 500 or self.status in (408, 429))


def _ssl_context() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.WEBHOOK_CA_FILE or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _connection(target: addresses.Target, address: str) -> HTTPConnection:
    timeout = settings.WEBHOOK_CONNECT_TIMEOUT_S
    if target.scheme == "https":
        return HTTPSConnection(
            host=address,
            port=target.port,
            timeout=timeout,
            server_hostname=target.hostname,
            assert_hostname=target.hostname,
            ssl_context=_ssl_context(),
        )
    return HTTPConnection(host=address, port=target.port, timeout=timeout)


def _cut_after(sock: socket.socket, seconds: float) -> threading.Timer:
    """Shut the socket down at the deadline, whatever is being read. (The socket
    itself: http.client lets go of `conn.sock` once the answer says it closes.)"""

    def cut() -> None:
        with contextlib.suppress(OSError, ValueError):
            sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    return timer


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to `url` under every rule above; never raises for the network."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = addresses.check(url)
    except addresses.UrlRefused as refused:
        return Outcome(None, refused.code, duration_ms=took())
    address = target.addresses[0]
    conn = _connection(target, address)
    deadline = settings.WEBHOOK_TIMEOUT_S
    timer = None
    try:
        conn.connect()
        timer = _cut_after(conn.sock, max(0.05, deadline - (time.monotonic() - started)))
        conn.request(
            "POST",
            target.path,
            body=body,
            headers={
                "Host": target.host_header,
                "User-Agent": USER_AGENT,
                "Content-Type": "application/json",
                "Accept-Encoding": "identity",
                "Connection": "close",
                **headers,
            },
            preload_content=False,
            decode_content=False,
        )
        response = conn.getresponse()
        cap = settings.WEBHOOK_MAX_RESPONSE_BYTES
        data = b""
        while len(data) <= cap:
            chunk = response.read(min(16384, cap + 1 - len(data)), decode_content=False)
            if not chunk:
                break
            data += chunk
        truncated = len(data) > cap
        if time.monotonic() - started > deadline:
            return Outcome(None, "timeout", address, duration_ms=took())
        return Outcome(
            response.status,
            "",
            address,
            excerpt=data[:cap][:EXCERPT_CHARS].decode("utf-8", "replace"),
            duration_ms=took(),
            truncated=truncated,
        )
    except TimeoutError:
        return Outcome(None, "timeout", address, duration_ms=took())
    except (ssl.SSLError, Urllib3SSLError, CertificateError) as exc:
        log.info("webhook TLS failure to %s: %s", target.hostname, exc)
        return Outcome(None, "tls_failed", address, duration_ms=took())
    except (OSError, Urllib3Error) as exc:
        # A socket cut at the deadline surfaces as a connection error: say timeout.
        if time.monotonic() - started >= deadline:
            return Outcome(None, "timeout", address, duration_ms=took())
        log.info("webhook connection to %s failed: %s", target.hostname, exc)
        return Outcome(None, "connection_failed", address, duration_ms=took())
    finally:
        if timer is not None:
            timer.cancel()
        conn.close()
