"""Optional Sentry (SENTRY_DSN): off unless set; when set, events reach the DSN
with no personal data, no request body, no local variables and no secret.

Each case is a process of its own: sentry-sdk hooks into the interpreter for
good, which the rest of the test session must not inherit. The DSN points at
a loopback receiver (no network in tests)."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib

import pytest

from tests.conftest import REPO
from tests.net import Receiver, free_port, wait_for_http
from tests.processes import child_env

TOKEN = "Zm9vYmFyLXNlY3JldC10b2tlbi1vZi1hLXBlcnNvbg"

SCRIPT = f"""
import logging, django
django.setup()
import sentry_sdk
from django.conf import settings
client = sentry_sdk.get_client()
print("active", client.is_active())
if client.is_active():
    print("pii", client.options["send_default_pii"])
    logging.getLogger("cv2web.test").warning("visited /p/jane/manage/{TOKEN}/")
    try:
        secret_document = {{"basics": {{"name": "Jane Secret-Person"}}}}
        raise RuntimeError("failed at /p/jane/manage/{TOKEN}/edit")
    except RuntimeError as exc:
        sentry_sdk.capture_exception(exc)
    sentry_sdk.flush(timeout=10)
"""


def run(tmp_path, **env: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=REPO,
        env=child_env(
            {"DJANGO_SETTINGS_MODULE": "cv2web.settings", "DATA_DIR": str(tmp_path), **env},
            drop=("PYTEST", "DJANGO_SETTINGS", "SENTRY_"),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def decoded(request: dict) -> bytes:
    body = request["body"]
    encoding = {k.lower(): v for k, v in request["headers"].items()}.get("content-encoding", "")
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli

        return brotli.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


def test_without_a_dsn_nothing_is_started(tmp_path):
    assert "active False" in run(tmp_path)


def test_with_a_dsn_errors_reach_it_without_secrets_or_personal_data(tmp_path):
    with Receiver(status=200, body=b"{}") as receiver:
        out = run(tmp_path, SENTRY_DSN=f"http://publickey@127.0.0.1:{receiver.port}/42")
        assert "active True" in out and "pii False" in out
        assert receiver.requests, "no event reached the DSN"
        sent = b"".join(decoded(r) for r in receiver.requests)
    assert all(r["path"] == "/api/42/envelope/" for r in receiver.requests)
    assert b"RuntimeError" in sent and b"/manage/[redacted]" in sent
    # The token, in the message and in the log breadcrumb; the frame's locals.
    assert TOKEN.encode() not in sent
    assert b"Jane Secret-Person" not in sent and b"secret_document" not in sent


def test_a_traces_rate_outside_0_to_1_stops_start_up(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO,
        env=child_env(
            {
                "DJANGO_SETTINGS_MODULE": "cv2web.settings",
                "DATA_DIR": str(tmp_path),
                "SENTRY_TRACES_SAMPLE_RATE": "2",
            }
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0 and "SENTRY_TRACES_SAMPLE_RATE must be 0..1" in out.stderr


def test_a_request_s_secrets_are_scrubbed_by_name_and_by_shape():
    from cv2web.errortracking import _scrub

    event = {
        "request": {
            "url": f"https://cv2web.example.com/p/jane/manage/{TOKEN}/",
            "headers": {
                "X-Manage-Token": TOKEN,
                "Authorization": f"Token {TOKEN}",
                "User-Agent": "Mozilla/5.0",
            },
            "cookies": {"sessionid": TOKEN, "theme": "dark"},
        },
        "breadcrumbs": {"values": [{"message": f"GET /p/jane/manage/{TOKEN}/"}]},
        "event_id": "a" * 32,
    }
    scrubbed = _scrub(event, {})
    assert TOKEN not in repr(scrubbed)
    assert scrubbed["request"]["headers"]["User-Agent"] == "Mozilla/5.0"
    assert scrubbed["request"]["cookies"]["theme"] == "dark"
    assert scrubbed["event_id"] == "a" * 32


@pytest.mark.slow
def test_a_server_error_under_gunicorn_reaches_sentry_without_its_secrets(tmp_path):
    """gunicorn as deployed (preloaded application, forked worker): a request that
    fails (no database file, no collected static files: the error page itself
    fails) is reported from the worker, with the manage token of its URL and its
    X-Manage-Token header left out."""
    port = free_port()
    with Receiver(status=200, body=b"{}") as receiver:
        env = child_env(
            {
                "DJANGO_SETTINGS_MODULE": "cv2web.settings",
                "DATA_DIR": str(tmp_path),
                # A folder that does not exist: every query fails.
                "DATABASE_URL": f"sqlite:///{tmp_path}/missing/cv2web.sqlite3",
                "SENTRY_DSN": f"http://publickey@127.0.0.1:{receiver.port}/7",
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "GUNICORN_PRELOAD": "1",
                "WEB_CONCURRENCY": "1",
                "GUNICORN_ACCESS_LOG": "0",
                "ADMINS": "",
                "LOG_LEVEL": "CRITICAL",
            },
            drop=("PYTEST", "DJANGO_SETTINGS", "SENTRY_", "DATABASE_URL"),
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/healthz")
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/p/jane/manage/{TOKEN}/",
                headers={"X-Manage-Token": TOKEN},
            )
            with pytest.raises(urllib.error.HTTPError) as failed:
                urllib.request.urlopen(request, timeout=30)
            assert failed.value.code == 500
            deadline = time.monotonic() + 30
            while not receiver.requests and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        sent = b"".join(decoded(r) for r in receiver.requests)
    assert b'"exception"' in sent, sent[:2000]
    assert b'"url":"http://127.0.0.1:%d/p/jane/manage/[redacted]/"' % port in sent
    assert b'"X-Manage-Token":"[redacted]"' in sent
    assert TOKEN.encode() not in sent
