"""The fake Messages API itself: fidelity to what the SDK expects, and lifecycle."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import anthropic
import pytest

from tests.fakes import fake_anthropic as fa
from tests.fakes.fake_anthropic import fake_anthropic, fake_anthropic_factory  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def client(url: str, timeout: float = 2.0) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="test-key", base_url=url, max_retries=0, timeout=timeout)


def create(c: anthropic.Anthropic):
    return c.messages.create(
        model="claude-test",
        max_tokens=100,
        messages=[{"role": "user", "content": "hi"}],
        tools=[{"name": "record_resume", "input_schema": {"type": "object"}}],
        tool_choice={"type": "tool", "name": "record_resume"},
    )


def test_ok_is_a_message_with_a_tool_use(fake_anthropic):  # noqa: F811
    message = create(client(fake_anthropic.url))
    assert message.type == "message"
    assert message.stop_reason == "tool_use"
    assert message.content[0].type == "tool_use"
    assert message.content[0].input == fa.SAMPLE_RESUME
    assert message.usage.input_tokens == 1200
    assert fake_anthropic.requests[0]["messages"][0]["content"] == "hi"


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (fa.spend_limit(), anthropic.EnforcedSpendLimitReachedError),
        (fa.status(429), anthropic.RateLimitError),
        (fa.status(529), anthropic.OverloadedError),
        (fa.status(500), anthropic.InternalServerError),
        (fa.status(401), anthropic.AuthenticationError),
    ],
)
def test_errors_map_to_sdk_exceptions(fake_anthropic, reply, error):  # noqa: F811
    fake_anthropic.enqueue(reply)
    with pytest.raises(error) as info:
        create(client(fake_anthropic.url))
    assert info.value.response.headers["request-id"].startswith("req_fake_")
    assert "anthropic-ratelimit-requests-remaining" in info.value.response.headers


def test_malformed_json_raises_json_error(fake_anthropic):  # noqa: F811
    fake_anthropic.enqueue(fa.malformed_json())
    with pytest.raises(json.JSONDecodeError):
        create(client(fake_anthropic.url))


def test_hang_does_not_block_stop():
    fake = fa.FakeAnthropic(default=fa.hang()).start()
    with pytest.raises(anthropic.APITimeoutError):
        create(client(fake.url, timeout=0.3))
    start = time.monotonic()
    fake.stop()
    assert time.monotonic() - start < 1.0


def test_stop_with_a_request_in_flight_and_idle_keepalive():
    fake = fa.FakeAnthropic(fa.ok(), fa.slow(30)).start()
    c = client(fake.url, timeout=5)
    create(c)  # leaves an idle keep-alive connection
    start = time.monotonic()
    fake.stop()
    assert time.monotonic() - start < 1.0
    c.close()


def test_command_line_server_for_other_processes():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.fake_anthropic", "--port", "0", "--delay", "0.1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        message = create(client(url))
        assert message.content[0].input["basics"]["name"] == "Ada Lovelace"
        with urllib.request.urlopen(f"{url}/_fake/stats", timeout=2) as response:
            assert json.load(response)["calls"] == 1
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0


# -- the Message Batches API


def batch_requests(n: int) -> list[dict]:
    return [
        {
            "custom_id": f"cv-{i}",
            "params": {
                "model": "claude-test",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": f"cv {i}"}],
                "tool_choice": {"type": "tool", "name": "record_resume"},
            },
        }
        for i in range(n)
    ]


def results_of(c: anthropic.Anthropic, batch_id: str) -> list[str]:
    with c.messages.batches.with_streaming_response.results(batch_id) as response:
        return [line for line in response.iter_lines() if line]


def test_a_batch_is_created_polled_and_gives_jsonl_results(fake_anthropic):  # noqa: F811
    fake_anthropic.batch_polls_to_end = 2
    fake_anthropic.batch_item = lambda cid, params: {
        "cv-1": fa.ERRORED,
        "cv-2": fa.EXPIRED,
        "cv-3": fa.INVALID,
    }.get(cid, fa.ok())
    c = client(fake_anthropic.url)
    batch = c.messages.batches.create(requests=batch_requests(5))
    assert batch.processing_status == "in_progress" and batch.results_url is None
    assert c.messages.batches.retrieve(batch.id).processing_status == "in_progress"
    assert c.messages.batches.retrieve(batch.id).processing_status == "in_progress"
    ended = c.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended"
    assert ended.request_counts.succeeded == 2 and ended.request_counts.errored == 2
    assert ended.request_counts.expired == 1
    # The SDK's own decoder reads the results the fake serves.
    lines = {r.custom_id: r.result for r in c.messages.batches.results(batch.id)}
    assert lines["cv-0"].type == "succeeded"
    assert lines["cv-0"].message.content[0].input == fa.SAMPLE_RESUME
    assert lines["cv-1"].error.error.type == "overloaded_error"
    assert lines["cv-2"].type == "expired"
    assert lines["cv-3"].error.error.type == "invalid_request_error"
    assert [r["custom_id"] for r in fake_anthropic.batch_items] == [f"cv-{i}" for i in range(5)]
    assert fake_anthropic.calls == 0  # no /v1/messages call


def test_a_malformed_result_line_and_a_cancelled_batch(fake_anthropic):  # noqa: F811
    fake_anthropic.batch_polls_to_end = None  # never ends by itself
    fake_anthropic.batch_item = lambda cid, params: fa.MALFORMED if cid == "cv-0" else fa.ok()
    c = client(fake_anthropic.url)
    batch = c.messages.batches.create(requests=batch_requests(2))
    for _ in range(5):
        assert c.messages.batches.retrieve(batch.id).processing_status == "in_progress"
    assert c.messages.batches.cancel(batch.id).processing_status == "canceling"
    ended = c.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended" and ended.request_counts.canceled == 2
    lines = results_of(c, batch.id)
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])
    assert json.loads(lines[1])["result"]["type"] == "canceled"


def test_the_batch_endpoints_can_answer_with_errors(fake_anthropic):  # noqa: F811
    fake_anthropic.enqueue_batch_api(fa.status(529), fa.status(429))
    c = client(fake_anthropic.url)
    with pytest.raises(anthropic.OverloadedError):
        c.messages.batches.create(requests=batch_requests(1))
    with pytest.raises(anthropic.RateLimitError):
        c.messages.batches.retrieve("msgbatch_unknown")
    with pytest.raises(anthropic.NotFoundError):
        c.messages.batches.retrieve("msgbatch_unknown")
