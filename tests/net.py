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


class Receiver:
    """A webhook receiver on loopback: records every request it gets and answers
    as told (`status`, `body`, `headers`; `hang` seconds before answering;
    `trickle`: send the body a byte at a time). Use as a context manager."""

    def __init__(self, status: int = 200, body: bytes = b"ok", headers=None) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.status, self.body, self.headers = status, body, dict(headers or {})
        self.hang = 0.0
        self.trickle = False
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0) or 0)
                body = self.rfile.read(length)
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": body}
                )
                if receiver.hang:
                    time.sleep(receiver.hang)
                try:
                    self.send_response(receiver.status)
                    for k, v in receiver.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(receiver.body)))
                    self.end_headers()
                    if receiver.trickle:
                        for i in range(len(receiver.body)):
                            self.wfile.write(receiver.body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(0.05)
                    else:
                        view = memoryview(receiver.body)
                        for i in range(0, len(view), 1 << 20):
                            self.wfile.write(view[i : i + (1 << 20)])
                except OSError:
                    pass  # the client hung up: that is what some tests want

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
