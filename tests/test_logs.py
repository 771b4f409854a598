"""Structured logs (SPEC M-6): JSON lines, a request id on every line of a request."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory
from django.urls import path

from cv2web.logs import (
    JsonFormatter,
    PlainFormatter,
    RequestIdFilter,
    RequestIdMiddleware,
    request_id_var,
)
from tests.processes import child_env, stop_group

REPO = Path(__file__).resolve().parent.parent
log = logging.getLogger("tests.logs")


# --- A small URL map of our own: @pytest.mark.urls("tests.test_logs") ---------


def hello(request):
    log.info("hello from the view", extra={"path_seen": request.path})
    return HttpResponse("hi")


def crash(request):
    raise ValueError("boom in the view")


def unavailable(request):
    return JsonResponse({"error": "down"}, status=503)


urlpatterns = [
    path("hello", hello),
    path("crash", crash),
    path("unavailable", unavailable),
]


@pytest.fixture
def lines():
    """Log lines written through the project's JSON formatter, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = log.level
    log.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    finally:
        root.removeHandler(handler)
        log.setLevel(old_level)


# --- The request id ------------------------------------------------------------


@pytest.mark.urls("tests.test_logs")
def test_a_sane_request_id_is_echoed(client):
    response = client.get("/hello", HTTP_X_REQUEST_ID="lb-7f3a.req_42")
    assert response["X-Request-ID"] == "lb-7f3a.req_42"


@pytest.mark.urls("tests.test_logs")
def test_a_request_without_one_gets_a_fresh_id(client):
    first = client.get("/hello")["X-Request-ID"]
    second = client.get("/hello")["X-Request-ID"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


@pytest.mark.urls("tests.test_logs")
@pytest.mark.parametrize(
    "bad", ["has space", "semi;colon", "x" * 129, "ünïcode", "new\\nline", "<script>"]
)
def test_a_bad_request_id_is_replaced(client, bad):
    answered = client.get("/hello", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
    assert answered != bad
    assert len(answered) == 32 and int(answered, 16) >= 0


@pytest.mark.urls("tests.test_logs")
def test_a_128_character_id_is_kept(client):
    rid = "a" * 128
    assert client.get("/hello", HTTP_X_REQUEST_ID=rid)["X-Request-ID"] == rid


@pytest.mark.urls("tests.test_logs")
def test_a_log_line_inside_a_view_carries_the_request_id(client, lines):
    response = client.get("/hello", HTTP_X_REQUEST_ID="req-123")
    assert response.status_code == 200
    (line,) = [entry for entry in lines() if entry["message"] == "hello from the view"]
    assert line["request_id"] == "req-123"
    assert line["logger"] == "tests.logs"
    assert line["level"] == "INFO"
    assert line["path_seen"] == "/hello"
    # Outside the request, no id.
    log.info("after the request")
    (after,) = [entry for entry in lines() if entry["message"] == "after the request"]
    assert "request_id" not in after
    assert request_id_var.get() is None


@pytest.mark.urls("tests.test_logs")
def test_the_server_error_line_carries_the_request_id_and_the_traceback(client, lines):
    client.raise_request_exception = False
    response = client.get("/crash", HTTP_X_REQUEST_ID="req-500")
    assert response.status_code == 500
    assert response["X-Request-ID"] == "req-500"
    errors = [entry for entry in lines() if entry["logger"] == "django.request"]
    assert len(errors) == 1
    (error,) = errors
    assert error["level"] == "ERROR"
    assert error["message"] == "Internal Server Error: /crash"
    assert error["request_id"] == "req-500"
    assert "Traceback" in error["exception"]
    assert "ValueError: boom in the view" in error["exception"]
    assert error["status_code"] == 500
    assert error["request"] == "GET /crash"
    assert request_id_var.get() is None


@pytest.mark.urls("tests.test_logs")
def test_an_error_answer_is_logged_once_with_the_request_id(client, lines):
    response = client.get("/unavailable", HTTP_X_REQUEST_ID="req-503")
    assert response.status_code == 503
    errors = [entry for entry in lines() if entry["logger"] == "django.request"]
    assert [(e["message"], e["request_id"]) for e in errors] == [
        ("Service Unavailable: /unavailable", "req-503")
    ]


def test_the_id_is_reset_when_the_view_raises():
    def view(request):
        assert request_id_var.get() == "inside"
        raise RuntimeError("escaped")

    middleware = RequestIdMiddleware(view)
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="inside")
    with pytest.raises(RuntimeError):
        middleware(request)
    assert request_id_var.get() is None


# --- The formatter -----------------------------------------------------------


def format_one(formatter, emit) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("tests.logs.format")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_extra_fields_become_json_fields():
    out = format_one(
        JsonFormatter(),
        lambda logger: logger.info(
            "job finished",
            extra={
                "job": "purge_audit_log",
                "outcome": "succeeded",
                "stats": {"deleted": 1200, "batches": 3},
                "duration_ms": 412,
                "at": datetime(2026, 1, 2, 3, 4, 5),
            },
        ),
    )
    assert out.count("\n") == 1
    line = json.loads(out)
    assert line["message"] == "job finished"
    assert line["job"] == "purge_audit_log"
    assert line["outcome"] == "succeeded"
    assert line["stats"] == {"deleted": 1200, "batches": 3}
    assert line["duration_ms"] == 412
    assert line["at"] == "2026-01-02 03:04:05"
    assert "request_id" not in line and "exception" not in line
    when = datetime.fromisoformat(line["time"])
    assert when.utcoffset() == timedelta(0)
    assert abs(when.timestamp() - time.time()) < 60


def test_exception_text_is_one_field_of_one_line():
    def emit(logger):
        try:
            raise KeyError("missing-key")
        except KeyError:
            logger.exception("lookup failed for %s", "alice")

    out = format_one(JsonFormatter(), emit)
    assert out.count("\n") == 1
    line = json.loads(out)
    assert line["message"] == "lookup failed for alice"
    assert line["level"] == "ERROR"
    assert line["exception"].startswith("Traceback")
    assert "KeyError: 'missing-key'" in line["exception"]


def test_an_extra_field_named_like_a_core_field_does_not_replace_it():
    out = format_one(JsonFormatter(), lambda lg: lg.warning("hi", extra={"level": "custom"}))
    line = json.loads(out)
    assert line["level"] == "WARNING"
    assert line["level_"] == "custom"


def test_plain_lines_stay_readable_and_carry_the_id():
    token = request_id_var.set("req-plain")
    try:
        out = format_one(PlainFormatter(), lambda lg: lg.info("hello", extra={"job": "x"}))
    finally:
        request_id_var.reset(token)
    assert out.endswith("INFO tests.logs.format [req-plain] hello job=x\n")


# --- The configuration -------------------------------------------------------


def test_the_root_handler_writes_json_with_the_request_id_filter(settings):
    assert settings.LOG_FORMAT == "json"
    root_handlers = logging.getLogger().handlers
    ours = [h for h in root_handlers if isinstance(h.formatter, JsonFormatter)]
    assert ours, root_handlers
    assert any(isinstance(f, RequestIdFilter) for f in ours[0].filters)


def test_django_q_lines_go_through_the_project_handler():
    import django_q.conf  # noqa: F401 - sets up its logger when it finds no handler

    logger = logging.getLogger("django-q")
    assert logger.handlers == []
    assert logger.propagate is True
    assert logger.getEffectiveLevel() == logging.WARNING


# --- gunicorn's own lines ----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_error_and_access_lines_are_json_with_the_request_id(tmp_path):
    port = _free_port()
    env = child_env() | {
        "DJANGO_SETTINGS_MODULE": "cv2web.settings",
        "DATA_DIR": str(tmp_path),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("LOG_FORMAT", None)
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=REPO,
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        deadline, answer = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "probe-1"}
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310
                    answer = resp.status, resp.headers["X-Request-ID"]
                    break
            except OSError:
                time.sleep(0.1)
        assert answer == (200, "probe-1"), err.read_text()[-3000:]
    finally:
        stop_group(proc, timeout=20)

    access = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    (hit,) = [a for a in access if a.get("path") == "/healthz"]
    assert hit["logger"] == "gunicorn.access"
    assert hit["request_id"] == "probe-1"
    assert hit["status"] == 200 and hit["method"] == "GET"
    assert isinstance(hit["duration_ms"], int)
    errors = [json.loads(line) for line in err.read_text().splitlines() if line.strip()]
    assert any(e["logger"] == "gunicorn.error" and "Booting worker" in e["message"] for e in errors)


# --- LOG_FORMAT: JSON in production, readable text for `make run` ---------------

FORMAT_PROBE = """
import logging, django
django.setup()
from django.conf import settings
print(settings.LOG_FORMAT)
logging.getLogger("probe").warning("hello")
"""


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "json"),
        ({"DEBUG": "1"}, "text"),
        ({"DEBUG": "1", "LOG_FORMAT": "json"}, "json"),
        ({"LOG_FORMAT": "text"}, "text"),
        ({"LOG_FORMAT": " Plain "}, "text"),
    ],
)
def test_log_lines_are_json_unless_debug_or_text_is_asked_for(tmp_path, env, expected):
    out = subprocess.run(
        [sys.executable, "-c", FORMAT_PROBE],
        cwd=REPO,
        env=child_env(
            {"DJANGO_SETTINGS_MODULE": "cv2web.settings", "DATA_DIR": str(tmp_path), **env},
            drop=("PYTEST", "DJANGO_SETTINGS", "LOG_FORMAT", "DEBUG"),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [expected]
    (line,) = [ln for ln in out.stderr.splitlines() if "hello" in ln]
    if expected == "json":
        assert json.loads(line)["message"] == "hello"
    else:
        assert line.endswith(" WARNING probe hello") and not line.startswith("{")


def test_an_unknown_log_format_stops_start_up(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", FORMAT_PROBE],
        cwd=REPO,
        env=child_env({"DJANGO_SETTINGS_MODULE": "cv2web.settings", "LOG_FORMAT": "xml"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0 and "LOG_FORMAT must be json or text" in out.stderr


@pytest.mark.parametrize(
    ("env", "json_lines"),
    [({}, True), ({"DEBUG": "yes"}, False), ({"LOG_FORMAT": "text"}, False)],
)
def test_gunicorn_follows_the_same_choice(monkeypatch, tmp_path, env, json_lines):
    import runpy

    for name in ("LOG_FORMAT", "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    assert ("logconfig_dict" in config) is json_lines


def test_make_run_serves_with_text_lines_unless_told_otherwise(tmp_path):
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import serve
    finally:
        sys.path.remove(str(REPO / "scripts"))
    base = {"DATA_DIR": str(tmp_path), "PATH": os.environ.get("PATH", "")}
    assert serve.environment(base)["LOG_FORMAT"] == "text"
    assert serve.environment(base | {"LOG_FORMAT": "json"})["LOG_FORMAT"] == "json"
    makefile = (REPO / "Makefile").read_text()
    assert "run: export LOG_FORMAT ?= text" in makefile
