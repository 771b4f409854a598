"""Helpers for tests that talk to a real server over loopback."""

from __future__ import annotations

import socket
import time
import urllib.request
import uuid


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def multipart(
    data: bytes,
    *,
    field: str = "file",
    name: str = "cv.txt",
    content_type: str = "application/octet-stream",
) -> tuple[bytes, str]:
    """A multipart/form-data body with one file; returns (body, Content-Type)."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{name}"\r\nContent-Type: {content_type}\r\n\r\n'
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def wait_for_http(url: str, timeout: float = 30) -> None:
    """Until `url` answers at all (any status), or fail."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=10)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not come up in {timeout} s") from None
            time.sleep(0.2)
