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
