"""A fake Anthropic Messages API on loopback, for tests (no network, ever).

In-process, as a context manager::

    from tests.fakes import fake_anthropic as fa

    with fa.FakeAnthropic() as fake:
        fake.enqueue(fa.status(429, headers={"retry-after": "3600"}), fa.ok(resume))
        settings.ANTHROPIC_BASE_URL = fake.url
        ...
        assert fake.calls == 2
        fake.requests[0]["messages"]  # the JSON bodies received

As pytest fixtures (import them into a test module or a conftest)::

    from tests.fakes.fake_anthropic import fake_anthropic, fake_anthropic_factory  # noqa: F401

From another process (prints its URL on the first line of stdout)::

    python -m tests.fakes.fake_anthropic --port 0 --delay 0.5

which answers every POST /v1/messages with `ok(SAMPLE_RESUME)` after the
delay; GET /_fake/stats returns {"calls": n, "connections": n}.

Each request takes the next scripted reply from the queue (`enqueue`); when
the queue is empty, `default` answers (an `ok` reply unless told otherwise).

The Message Batches API is there too: POST /v1/messages/batches (create),
GET /v1/messages/batches/{id} (retrieve), GET .../{id}/results (JSONL) and
POST .../{id}/cancel. A batch is `in_progress` for `batch_polls_to_end`
retrieves (None: it never ends), then `ended`. What each item gives is decided
when the batch is created by `batch_item(custom_id, params)`: a Reply (an
`ok` one gives a succeeded message) or one of ERRORED, EXPIRED, CANCELED,
MALFORMED (a result line that is not JSON). Scripted replies for the batch
endpoints themselves (`enqueue_batch_api(status(529))`) answer before the
batch logic does::

    fake.batch_item = lambda cid, params: fa.EXPIRED if cid.endswith("7") else fa.ok()
    fake.batch_polls_to_end = 3
    fake.batch_items  # every item received: {"custom_id", "params"}
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import signal
import socket
import sys
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SAMPLE_RESUME: dict = {
    "basics": {
        "name": "Ada Lovelace",
        "label": "Analyst",
        "email": "ada@example.com",
        "url": "https://ada.example.com",
        "location": {"city": "London", "countryCode": "GB"},
        "profiles": [
            {"network": "GitHub", "username": "ada", "url": "https://github.com/ada"},
        ],
    },
    "work": [
        {
            "name": "Analytical Engines Ltd",
            "position": "Programmer",
            "startDate": "1842-01",
            "endDate": "1843-09",
            "highlights": ["Wrote the first published program"],
        }
    ],
    "education": [{"institution": "Home schooling", "area": "Mathematics", "endDate": "1835"}],
    "skills": [{"name": "Mathematics", "keywords": ["Bernoulli numbers"]}],
    "languages": [{"language": "English", "fluency": "Native"}],
}

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


# --------------------------------------------------------------------------
# Scripted replies


@dataclass
class Reply:
    """One scripted answer. Build them with the functions below."""

    kind: str  # "json" | "raw" | "hang"
    status: int = 200
    body: Any = None  # dict for "json" (None: a message built from `resume`), bytes for "raw"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    resume: dict | None = None
    stop_reason: str = "tool_use"
    content: list | None = None  # overrides the tool_use content
    input_tokens: int = 1200
    output_tokens: int = 800


def ok(
    resume: dict | None = None,
    *,
    input_tokens: int = 1200,
    output_tokens: int = 800,
    headers: dict[str, str] | None = None,
    delay: float = 0.0,
) -> Reply:
    """200 with a forced tool call whose input is `resume` (SAMPLE_RESUME by default)."""
    return Reply(
        "json",
        resume=copy.deepcopy(SAMPLE_RESUME if resume is None else resume),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        headers=dict(headers or {}),
        delay=delay,
    )


def slow(seconds: float, resume: dict | None = None) -> Reply:
    """`ok` after `seconds` (interrupted, not finished, when the server stops)."""
    return ok(resume, delay=seconds)


def status(
    code: int,
    *,
    headers: dict[str, str] | None = None,
    error_type: str | None = None,
    message: str | None = None,
    error_code: str | None = None,
    delay: float = 0.0,
) -> Reply:
    """An API error as the real API sends it: {"type": "error", "error": {...}}."""
    error: dict[str, Any] = {
        "type": error_type or ERROR_TYPES.get(code, "api_error"),
        "message": message or f"Fake error {code}",
    }
    if error_code:
        error["details"] = {"error_code": error_code}
    return Reply(
        "json",
        status=code,
        body={"type": "error", "error": error},
        headers=dict(headers or {}),
        delay=delay,
    )


def spend_limit(code: str = "enforced_spend_limit_reached") -> Reply:
    """The 429 the SDK maps to EnforcedSpendLimitReachedError (error.details.error_code)."""
    return status(
        429,
        message="You have reached your specified API usage limits.",
        error_code=code,
        headers={"retry-after": "3600"},
    )


def malformed_json() -> Reply:
    """200, content-type application/json, body that is not JSON."""
    return Reply("raw", body=b'{"id": "msg_broken", "type": "message", "content": [')


def truncated(partial: dict | None = None) -> Reply:
    """stop_reason max_tokens with partial tool input."""
    reply = ok(partial if partial is not None else {"basics": {"name": "Ada Lov"}})
    reply.stop_reason = "max_tokens"
    return reply


def no_tool_use(text: str = "I cannot help with that.") -> Reply:
    """200 with text content only."""
    reply = ok()
    reply.stop_reason = "end_turn"
    reply.content = [{"type": "text", "text": text}]
    return reply


def hang() -> Reply:
    """Read the request, never answer (until the server stops)."""
    return Reply("hang")


# What a batch item gives instead of a Reply (see FakeAnthropic.batch_item).
ERRORED = "errored"  # errored with an overloaded_error
INVALID = "invalid"  # errored with an invalid_request_error
EXPIRED = "expired"
CANCELED = "canceled"
MALFORMED = "malformed"  # the result line is not JSON


# --------------------------------------------------------------------------
# Server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is visible
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.fake._connection_opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._connection_closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0].rstrip("/")
        if path.startswith("/v1/messages/batches"):
            self._batches("GET", path, None)
            return
        if self.path.rstrip("/") == "/_fake/stats":
            fake = self.server.fake
            self._send(
                200,
                {
                    "calls": fake.calls,
                    "connections": fake.connections,
                    "max_in_flight": fake.max_in_flight,
                    "user_messages": [fake._user_text(b) for b in fake.requests],
                },
                {},
            )
        else:
            self._send(404, {"type": "error", "error": {"type": "not_found_error"}}, {})

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        path = self.path.split("?")[0].rstrip("/")
        if path.startswith("/v1/messages/batches"):
            self._batches("POST", path, body)
            return
        if path != "/v1/messages":
            self._send(404, {"type": "error", "error": {"type": "not_found_error"}}, {})
            return
        reply, number = fake._next(body, {k.lower(): v for k, v in self.headers.items()})
        with fake._lock:
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        try:
            self._answer(fake, reply, number, body)
        finally:
            with fake._lock:
                fake.in_flight -= 1

    def _batches(self, method: str, path: str, body: Any) -> None:
        fake = self.server.fake
        scripted = fake._next_batch_api(method, path)
        if scripted is not None:
            self._answer(fake, scripted, len(fake.batch_api_calls), body)
            return
        parts = path.split("/")[4:]  # after /v1/messages/batches
        if method == "POST" and not parts:
            self._send(200, fake._create_batch(body), {})
            return
        batch = fake._batches.get(parts[0]) if parts else None
        if batch is None:
            self._send(404, {"type": "error", "error": {"type": "not_found_error"}}, {})
        elif method == "GET" and len(parts) == 1:
            self._send(200, fake._retrieve_batch(parts[0]), {})
        elif method == "POST" and parts[1:] == ["cancel"]:
            self._send(200, fake._cancel_batch(parts[0]), {})
        elif method == "GET" and parts[1:] == ["results"]:
            with fake._lock:
                hang_now = fake.hang_results > 0
                fake.hang_results -= 1 if hang_now else 0
                fake.results_requests += 1
            if hang_now:  # a reader killed mid-download (tests of crashes)
                fake._stopping.wait()
                self.close_connection = True
                return
            data = fake._batch_results(parts[0])
            if data is None:
                self._send(
                    404,
                    {"type": "error", "error": {"type": "not_found_error", "message": "not ended"}},
                    {},
                )
            else:
                self._send(200, data, {"content-type": "application/binary"})
        else:
            self._send(404, {"type": "error", "error": {"type": "not_found_error"}}, {})

    def _answer(self, fake: FakeAnthropic, reply: Reply, number: int, body: Any) -> None:
        if reply.delay and fake._stopping.wait(reply.delay):
            self.close_connection = True
            return
        if reply.kind == "hang":
            fake._stopping.wait()
            self.close_connection = True
            return
        headers = {
            "request-id": f"req_fake_{number:04d}",
            **fake._ratelimit_headers(),
            **reply.headers,
        }
        if reply.kind == "raw":
            self._send(reply.status, reply.body, headers)
            return
        payload = reply.body
        if payload is None:
            payload = fake._message(reply, body)
        self._send(reply.status, payload, headers)

    def _send(self, code: int, payload: Any, headers: dict[str, str]) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(code)
            if "content-type" not in headers:
                self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a hung handler must not block stop()
    fake: FakeAnthropic

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # client went away (timeouts in tests): not an error here


class FakeAnthropic:
    """A loopback HTTP server speaking POST /v1/messages; see the module docstring."""

    def __init__(
        self,
        *replies: Reply,
        default: Reply | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.default = default or ok()
        self.host = host
        self.port = port
        self.requests: list[Any] = []  # JSON bodies received, in order
        self.request_headers: list[dict[str, str]] = []  # lower-case names
        self.connections = 0  # TCP connections accepted in total
        self.in_flight = 0  # requests being answered right now
        self.max_in_flight = 0  # the most answered at once
        self._queue: deque[Reply] = deque(replies)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._remaining = 1000
        # Message Batches API (see the module docstring).
        self.batch_polls_to_end: int | None = 0
        self.batch_item: Any = lambda custom_id, params: ok()
        self.batch_items: list[dict] = []  # every item received, in order
        self.batch_api_calls: list[tuple[str, str]] = []  # (method, path)
        self._batch_api_queue: deque[Reply] = deque()
        self.hang_results = 0  # the next n results downloads never answer
        self.results_requests = 0
        self._batches: dict[str, dict] = {}

    # -- scripting and inspection
    def enqueue(self, *replies: Reply) -> FakeAnthropic:
        with self._lock:
            self._queue.extend(replies)
        return self

    def enqueue_batch_api(self, *replies: Reply) -> FakeAnthropic:
        """Scripted answers for the next calls to the batch endpoints."""
        with self._lock:
            self._batch_api_queue.extend(replies)
        return self

    @property
    def batches_created(self) -> list[str]:
        with self._lock:
            return list(self._batches)

    def end_batch(self, batch_id: str) -> None:
        """End a batch now, whatever its poll count."""
        with self._lock:
            self._batches[batch_id]["status"] = "ended"

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.requests)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._queue)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def last_user_message(self) -> str:
        """The text of the user turn of the last request."""
        return self._user_text(self.requests[-1])

    @staticmethod
    def _user_text(request: Any) -> str:
        try:
            content = request["messages"][-1]["content"]
        except (TypeError, KeyError, IndexError):
            return ""
        if isinstance(content, str):
            return content
        return "".join(part.get("text", "") for part in content)

    # -- lifecycle
    def start(self) -> FakeAnthropic:
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-anthropic-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # releases hang() and slow() handlers
        self._server.shutdown()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:  # idle keep-alive connections
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals (called from handler threads)
    def _connection_opened(self, sock: socket.socket) -> None:
        with self._lock:
            self.connections += 1
            self._open.add(sock)

    def _connection_closed(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)

    def _next(self, body: Any, headers: dict[str, str]) -> tuple[Reply, int]:
        with self._lock:
            self.requests.append(body)
            self.request_headers.append(headers)
            reply = self._queue.popleft() if self._queue else self.default
            self._remaining = max(0, self._remaining - 1)
            return reply, len(self.requests)

    def _next_batch_api(self, method: str, path: str) -> Reply | None:
        with self._lock:
            self.batch_api_calls.append((method, path))
            return self._batch_api_queue.popleft() if self._batch_api_queue else None

    @staticmethod
    def _now() -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _create_batch(self, body: Any) -> dict:
        requests = (body or {}).get("requests") or []
        batch_id = f"msgbatch_{uuid.uuid4().hex[:24]}"
        items = []
        for request in requests:
            outcome = self.batch_item(request.get("custom_id"), request.get("params"))
            items.append((request, outcome))
        with self._lock:
            self.batch_items.extend(requests)
            self._batches[batch_id] = {
                "items": items,
                "polls": 0,
                "status": "in_progress",
                "created_at": self._now(),
                "cancelled": False,
            }
            return self._batch_object(batch_id)

    def _retrieve_batch(self, batch_id: str) -> dict:
        with self._lock:
            batch = self._batches[batch_id]
            batch["polls"] += 1
            if batch["status"] == "canceling" or (
                self.batch_polls_to_end is not None and batch["polls"] > self.batch_polls_to_end
            ):
                batch["status"] = "ended"
            return self._batch_object(batch_id)

    def _cancel_batch(self, batch_id: str) -> dict:
        with self._lock:
            batch = self._batches[batch_id]
            if batch["status"] == "in_progress":
                batch["status"] = "canceling"
                batch["cancelled"] = True
            return self._batch_object(batch_id)

    def _batch_object(self, batch_id: str) -> dict:
        batch = self._batches[batch_id]
        ended = batch["status"] == "ended"
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        for _, outcome in batch["items"]:
            if not ended:
                counts["processing"] += 1
            elif batch["cancelled"] or outcome == CANCELED:
                counts["canceled"] += 1
            elif outcome in (ERRORED, INVALID):
                counts["errored"] += 1
            elif outcome == EXPIRED:
                counts["expired"] += 1
            else:
                counts["succeeded"] += 1
        return {
            "id": batch_id,
            "type": "message_batch",
            "processing_status": batch["status"],
            "request_counts": counts,
            "created_at": batch["created_at"],
            "expires_at": self._now(),
            "ended_at": self._now() if ended else None,
            "cancel_initiated_at": self._now() if batch["cancelled"] else None,
            "archived_at": None,
            "results_url": f"{self.url}/v1/messages/batches/{batch_id}/results" if ended else None,
        }

    def _batch_results(self, batch_id: str) -> bytes | None:
        with self._lock:
            batch = self._batches[batch_id]
            if batch["status"] != "ended":
                return None
            items = list(batch["items"])
            cancelled = batch["cancelled"]
        lines = []
        for request, outcome in items:
            custom_id = request.get("custom_id")
            if outcome == MALFORMED:
                lines.append(b'{"custom_id": "' + str(custom_id).encode() + b'", "result": {')
                continue
            if cancelled or outcome == CANCELED:
                result: dict = {"type": "canceled"}
            elif outcome == EXPIRED:
                result = {"type": "expired"}
            elif outcome in (ERRORED, INVALID):
                kind = "invalid_request_error" if outcome == INVALID else "overloaded_error"
                result = {
                    "type": "errored",
                    "error": {"type": "error", "error": {"type": kind, "message": "Fake"}},
                }
            else:
                result = {
                    "type": "succeeded",
                    "message": self._message(outcome, request.get("params")),
                }
            lines.append(json.dumps({"custom_id": custom_id, "result": result}).encode())
        return b"\n".join(lines) + b"\n"

    def _ratelimit_headers(self) -> dict[str, str]:
        reset = (datetime.now(UTC) + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._lock:
            remaining = self._remaining
        return {
            "anthropic-ratelimit-requests-limit": "1000",
            "anthropic-ratelimit-requests-remaining": str(remaining),
            "anthropic-ratelimit-requests-reset": reset,
            "anthropic-ratelimit-input-tokens-limit": "400000",
            "anthropic-ratelimit-input-tokens-remaining": "398800",
            "anthropic-ratelimit-input-tokens-reset": reset,
            "anthropic-ratelimit-output-tokens-limit": "80000",
            "anthropic-ratelimit-output-tokens-remaining": "79200",
            "anthropic-ratelimit-output-tokens-reset": reset,
            "anthropic-ratelimit-tokens-limit": "480000",
            "anthropic-ratelimit-tokens-remaining": "478000",
            "anthropic-ratelimit-tokens-reset": reset,
        }

    @staticmethod
    def _message(reply: Reply, request: Any) -> dict:
        model = request.get("model") if isinstance(request, dict) else None
        tool_name = "record_resume"
        if isinstance(request, dict):
            choice = request.get("tool_choice") or {}
            tool_name = choice.get("name") or tool_name
        content = reply.content
        if content is None:
            content = [
                {
                    "type": "tool_use",
                    "id": f"toolu_{uuid.uuid4().hex[:24]}",
                    "name": tool_name,
                    "input": reply.resume,
                }
            ]
        return {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model or "claude-fake",
            "content": content,
            "stop_reason": reply.stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": reply.input_tokens,
                "output_tokens": reply.output_tokens,
            },
        }


# --------------------------------------------------------------------------
# pytest fixtures (import them where needed)

try:
    import pytest
except ImportError:  # pragma: no cover - the CLI does not need pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def fake_anthropic_factory():
        """A factory: `make(*replies, default=None)` returns a started FakeAnthropic."""
        started: list[FakeAnthropic] = []

        def make(*replies: Reply, default: Reply | None = None) -> FakeAnthropic:
            fake = FakeAnthropic(*replies, default=default).start()
            started.append(fake)
            return fake

        yield make
        for fake in started:
            fake.stop()

    @pytest.fixture
    def fake_anthropic(fake_anthropic_factory):
        """A started FakeAnthropic answering ok(SAMPLE_RESUME) unless scripted."""
        return fake_anthropic_factory()


# --------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: an ephemeral port")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args(argv)

    fake = FakeAnthropic(default=ok(delay=args.delay), host=args.host, port=args.port)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    with fake:
        print(fake.url, flush=True)
        while not done.wait(0.5):
            pass
    print(f"served {fake.calls} calls on {fake.connections} connections", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
