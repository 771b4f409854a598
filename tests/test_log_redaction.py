"""Secrets never reach a log (SPEC S-2, issue 10 item 3): manage tokens,
keep-alive and password-reset links, job and portfolio ids are redacted from
gunicorn's access and error lines, from every application line and from the
error mail to ADMINS."""

from __future__ import annotations

import http.cookiejar
import io
import json
import logging
import re
import runpy
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import RequestFactory
from django.utils.log import AdminEmailHandler
from gunicorn.glogging import SafeAtoms

from cv2web.logs import AccessJsonFormatter, JsonFormatter, PlainFormatter, RedactFilter
from cv2web.redact import REDACTED
from tests.net import free_port, multipart, wait_for_http
from tests.processes import child_env, stop_group

REPO = Path(__file__).resolve().parent.parent
TOKEN = "q3VbH1x-Zr0_tYk8PpLmN2sWcD4fGhJ6aB9eRuIoE5w"
JOB = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
MANAGE = f"/p/ada-lovelace/manage/{TOKEN}"
# gunicorn's default access format (what LOG_FORMAT=plain writes).
GUNICORN_ACCESS_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


def emit(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    """`record` through a handler set up as settings.LOGGING sets up each one."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RedactFilter())
    handler.handle(record)
    return stream.getvalue()


def record(msg, *args, exc_info=None, **extra) -> logging.LogRecord:
    rec = logging.LogRecord("django.request", logging.ERROR, __file__, 1, msg, args, exc_info)
    rec.__dict__.update(extra)
    return rec


# --- Application lines ---------------------------------------------------------


@pytest.mark.parametrize("formatter", [JsonFormatter(), PlainFormatter()], ids=["json", "plain"])
def test_a_secret_in_the_message_arguments_is_redacted(formatter):
    out = emit(formatter, record("Not Found: %s", f"{MANAGE}/edit"))
    assert TOKEN not in out
    assert f"/p/ada-lovelace/manage/{REDACTED}/edit" in out


@pytest.mark.parametrize("formatter", [JsonFormatter(), PlainFormatter()], ids=["json", "plain"])
def test_extra_fields_and_the_request_on_a_record_are_redacted(formatter, rf):
    request = rf.get(MANAGE, HTTP_REFERER=f"https://cv2web.example{MANAGE}")
    out = emit(
        formatter,
        record(
            "Internal Server Error: %s",
            request.path,
            request=request,
            status_code=500,
            job=f"/api/v1/extractions/{JOB}",
            details={"referer": f"https://cv2web.example{MANAGE}", "ids": [JOB]},
        ),
    )
    assert TOKEN not in out and JOB not in out
    assert "/api/v1/extractions/[id]" in out


@pytest.mark.parametrize("formatter", [JsonFormatter(), PlainFormatter()], ids=["json", "plain"])
def test_an_exception_text_is_redacted(formatter):
    try:
        raise LookupError(f"no portfolio for {MANAGE} (job {JOB})")
    except LookupError:
        out = emit(formatter, record("crashed", exc_info=sys.exc_info()))
    assert "Traceback" in out and "LookupError" in out
    assert TOKEN not in out and JOB not in out


def test_a_record_whose_arguments_do_not_fit_still_loses_its_secret():
    out = emit(JsonFormatter(), record("two %s %s", MANAGE))
    assert TOKEN not in out


# --- gunicorn's lines ------------------------------------------------------------


def access_record() -> logging.LogRecord:
    atoms = SafeAtoms(
        {
            "h": "203.0.113.9",
            "l": "-",
            "u": "-",
            "t": "[03/Dec/2026:10:00:00 +0000]",
            "r": f"GET {MANAGE}/edit?token=abc HTTP/1.1",
            "s": "200",
            "m": "GET",
            "U": f"{MANAGE}/edit",
            "q": "token=abc",
            "b": "512",
            "B": 512,
            "f": f"https://cv2web.example{MANAGE}",
            "a": "Mozilla/5.0",
            "M": 3,
            "{x-request-id}o": JOB,
            "{cookie}i": "sessionid=s3ss10n; csrftoken=c5rf",
            "{x-manage-token}i": TOKEN,
        }
    )
    return logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, GUNICORN_ACCESS_FORMAT, (atoms,), None
    )


def test_the_json_access_line_redacts_path_query_and_referer():
    line = json.loads(emit(AccessJsonFormatter(), access_record()))
    assert line["path"] == f"/p/ada-lovelace/manage/{REDACTED}/edit"
    assert line["query"] == f"token={REDACTED}"
    assert line["referer"] == f"https://cv2web.example/p/ada-lovelace/manage/{REDACTED}"
    assert line["request_id"] == JOB  # the request id is no secret: it correlates lines
    assert TOKEN not in json.dumps(line)


def test_the_json_access_formatter_redacts_even_without_the_filter():
    line = AccessJsonFormatter().format(access_record())
    assert TOKEN not in line and "abc" not in line


def test_gunicorns_own_access_format_is_redacted_with_headers():
    fmt = GUNICORN_ACCESS_FORMAT + ' "%({cookie}i)s" "%({x-manage-token}i)s"'
    rec = access_record()
    rec.msg = fmt
    out = emit(logging.Formatter("%(message)s"), rec)
    assert TOKEN not in out and "s3ss10n" not in out and "token=abc" not in out
    assert f"GET /p/ada-lovelace/manage/{REDACTED}/edit?token={REDACTED}" in out


class _Req:
    headers = [("COOKIE", "sessionid=s3ss10n"), ("X-MANAGE-TOKEN", TOKEN)]


class _Resp:
    def __init__(self, headers):
        self.status = "200 OK"
        self.sent = 512
        self.headers = headers


@pytest.fixture
def logging_state():
    """The loggers gunicorn's configuration changes, put back as they were."""
    names = ("", "gunicorn.error", "gunicorn.access")
    saved = {}
    for name in names:
        log = logging.getLogger(name)
        saved[name] = (list(log.handlers), list(log.filters), log.level, log.propagate)
    yield
    for name, (handlers, filters, level, propagate) in saved.items():
        log = logging.getLogger(name)
        log.handlers[:], log.filters[:] = handlers, filters
        log.setLevel(level)
        log.propagate = propagate


def _gunicorn_logger(monkeypatch, log_format: str, stream: io.StringIO):
    """The project's gunicorn logger as gunicorn.conf.py configures it, its
    access lines written to `stream`."""
    from gunicorn.config import Config

    from cv2web.logs import GunicornLogger

    monkeypatch.setenv("LOG_FORMAT", log_format)
    monkeypatch.setenv("GUNICORN_ACCESS_LOG", "1")
    conf = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    cfg = Config()
    for key in ("accesslog", "logger_class", "logconfig_dict"):
        if key in conf:
            cfg.set(key, conf[key])
    logger = GunicornLogger(cfg)
    for handler in logging.getLogger("gunicorn.access").handlers:
        handler.setStream(stream)
    return logger


ACCESS_ENVIRON = {
    "REQUEST_METHOD": "GET",
    "RAW_URI": f"{MANAGE}/edit?token=abc",
    "PATH_INFO": f"{MANAGE}/edit",
    "QUERY_STRING": "token=abc",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "203.0.113.9",
    "HTTP_REFERER": f"https://cv2web.example{MANAGE}",
    "HTTP_USER_AGENT": 'Mozilla/5.0 "quoted"',
    "HTTP_COOKIE": "sessionid=s3ss10n",
}


@pytest.mark.parametrize(
    "headers, environ",
    [
        ([("Content-Type", "text/html"), ("X-Request-ID", JOB)], ACCESS_ENVIRON),
        ([("Content-Type", "text/html")], ACCESS_ENVIRON),  # no request id answered
        (  # no Referer, no user agent, no query
            [("x-request-id", "not sane!")],
            {
                k: v
                for k, v in ACCESS_ENVIRON.items()
                if k not in ("HTTP_REFERER", "HTTP_USER_AGENT")
            }
            | {"QUERY_STRING": ""},
        ),
        (  # an id in the path, escaped separators, a key, a credential, a plain HEAD
            [("X-Request-ID", 'quoted"id')],
            {
                "REQUEST_METHOD": "HEAD",
                "RAW_URI": f"/api/v1/extractions/{JOB}",
                "PATH_INFO": f"/api/v1/extractions/{JOB}",
                "QUERY_STRING": f"next=%2Fp%2Fada-lovelace%2Fmanage%2F{TOKEN}&k=cv2w_abcdefgh12",
                "SERVER_PROTOCOL": "HTTP/1.0",
                "REMOTE_ADDR": "2001:db8::1",
                "HTTP_USER_AGENT": f"curl/8 Token {TOKEN}",
                "HTTP_REFERER": f"https://cv2web.example/reset/MQ/{TOKEN}/",
            },
        ),
    ],
)
def test_the_direct_access_line_is_the_formatters_line(
    monkeypatch, logging_state, headers, environ
):
    """gunicorn's JSON access line is written straight from the request
    (cheaper than a log record with an atom per header): it must be the very
    line the formatter makes of gunicorn's own atoms, redacted alike."""
    from datetime import timedelta

    stream = io.StringIO()
    logger = _gunicorn_logger(monkeypatch, "json", stream)
    assert logger._direct_access is not None
    took = timedelta(milliseconds=3, microseconds=700)
    logger.access(_Resp(headers), _Req(), environ, took)
    logger.flush_access()
    direct = json.loads(stream.getvalue())
    # The way it went before: gunicorn's atoms, a record, the filter, the formatter.
    atoms = SafeAtoms(logger.atoms(_Resp(headers), _Req(), environ, took))
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, GUNICORN_ACCESS_FORMAT, (atoms,), None
    )
    RedactFilter().filter(record)
    formatted = json.loads(AccessJsonFormatter().format(record))
    direct.pop("time"), formatted.pop("time")
    assert direct == formatted
    assert list(direct) == list(formatted)  # the same field order
    assert TOKEN not in stream.getvalue() and "abc" not in stream.getvalue()
    if environ is ACCESS_ENVIRON:
        assert direct["path"] == f"/p/ada-lovelace/manage/{REDACTED}/edit"
    else:
        assert JOB not in direct["path"] and "cv2w_abcdefgh12" not in stream.getvalue()


def test_a_request_thread_never_waits_for_the_access_handler(monkeypatch, logging_state):
    # The line is handed to the writer thread: a request thread answers even
    # while the handler's lock is held (writing the line under that lock was
    # what queued a worker's threads behind each other).
    import threading
    from datetime import timedelta

    stream = io.StringIO()
    logger = _gunicorn_logger(monkeypatch, "json", stream)
    (handler,) = logging.getLogger("gunicorn.access").handlers
    done = threading.Event()

    def answer():
        logger.access(_Resp([("X-Request-ID", JOB)]), _Req(), ACCESS_ENVIRON, timedelta(0))
        done.set()

    handler.acquire()
    try:
        threading.Thread(target=answer, daemon=True).start()
        assert done.wait(5), "the request thread waited for the handler's lock"
        assert stream.getvalue() == ""
    finally:
        handler.release()
    deadline = time.monotonic() + 5
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)  # the writer thread's next round
    (line,) = stream.getvalue().splitlines()
    assert json.loads(line)["request_id"] == JOB


def test_a_plain_access_log_goes_gunicorns_way(monkeypatch, logging_state):
    from datetime import timedelta

    stream = io.StringIO()
    logger = _gunicorn_logger(monkeypatch, "plain", stream)
    assert logger._direct_access is None
    out = logging.getLogger("gunicorn.access")
    handler = logging.StreamHandler(stream)
    out.addHandler(handler)
    try:
        logger.access(_Resp([("X-Request-ID", JOB)]), _Req(), ACCESS_ENVIRON, timedelta(0))
    finally:
        out.removeHandler(handler)
    line = stream.getvalue()
    assert "GET /p/ada-lovelace/manage/" in line and TOKEN not in line
    assert not line.startswith("{")


# --- The configuration: every handler redacts --------------------------------------


def test_every_handler_of_the_settings_redacts():
    logging_config = django_settings.LOGGING
    assert logging_config["filters"]["redact"] == {"()": "cv2web.logs.RedactFilter"}
    for name, handler in logging_config["handlers"].items():
        assert "redact" in handler.get("filters", []), name
    # As configured (pytest adds handlers of its own to the root).
    ours = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h.formatter, JsonFormatter | PlainFormatter)
    ]
    assert ours and all(any(isinstance(f, RedactFilter) for f in h.filters) for h in ours)


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_gunicorn_redacts_in_every_log_format(monkeypatch, log_format):
    monkeypatch.setenv("LOG_FORMAT", log_format)
    conf = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    # gunicorn's own loggers get the filter in either format ...
    assert conf["logger_class"] == "cv2web.logs.GunicornLogger"
    # ... and each handler of the JSON configuration too.
    for name, handler in conf.get("logconfig_dict", {}).get("handlers", {}).items():
        assert handler["filters"] == ["redact"], name


def test_the_error_mail_to_admins_is_redacted(settings):
    settings.ADMINS = [("Staff", "staff@example.com")]
    settings.DEBUG = False
    request = RequestFactory().post(
        f"{MANAGE}/delete?job={JOB}", HTTP_REFERER=f"http://testserver{MANAGE}"
    )
    token = TOKEN  # noqa: F841 - a view's local variable, as the report lists them
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        rec = record("Internal Server Error: %s", request.path, exc_info=sys.exc_info())
    rec.request = request
    handler = AdminEmailHandler(include_html=True)
    handler.addFilter(RedactFilter())
    handler.handle(rec)
    (message,) = mail.outbox
    text = message.subject + message.body + message.alternatives[0][0]
    assert "RuntimeError" in message.body
    assert TOKEN not in text and JOB not in text


# --- The attack, against a real gunicorn -------------------------------------------


def _opener(jar: http.cookiejar.CookieJar) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def _open(opener, url: str, data: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.geturl(), response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.geturl(), err.read()


@pytest.mark.slow
@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_a_real_gunicorn_log_keeps_no_token_reset_link_or_id(tmp_path, log_format):
    """A visitor publishes, opens the manage link, loads a page from it (Referer),
    uploads a CV and polls the job; a user resets a password from the mailed
    link. Nothing secret may be in anything the processes wrote."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mails = tmp_path / "mail"
    env = child_env(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "PUBLIC_BASE_URL": base,
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "2",
            "LOG_FORMAT": log_format,
            "LOG_LEVEL": "DEBUG",
            # django-environ drops the first slash of the path.
            "EMAIL_URL": f"filemail:///{mails}",
            "PYTHONUNBUFFERED": "1",
        },
        drop=("PYTEST", "DJANGO_SETTINGS", "DATABASE_URL", "GUNICORN_ACCESS_LOG"),
    )
    for command in (
        ["migrate", "-v", "0"],
        ["collectstatic", "--noinput", "-v", "0"],
        [
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            "User.objects.create_user('grace', 'grace@example.com', 'old-pass-123')",
        ],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            timeout=180,
        )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    secrets: dict[str, str] = {}
    try:
        wait_for_http(base + "/healthz", timeout=60)
        visitor = _opener(http.cookiejar.CookieJar())

        # Publish anonymously; the answer carries the manage link.
        status, _, body = _open(
            visitor,
            base + "/api/v1/portfolios",
            json.dumps({"resume": {"basics": {"name": "Test Person"}}}).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 201, body
        published = json.loads(body)
        manage_url = published["manage_url"]
        secrets["manage token"] = published.get("manage_token") or manage_url.rsplit("/", 1)[1]
        secrets["portfolio id"] = published["id"]
        slug = published["slug"]

        # The manage link, then what the manage page loads or links to.
        status, landed, page = _open(visitor, manage_url)
        assert status == 200, page[:500]
        for path in (f"/p/{slug}/", "/static/css/site.css", f"/p/{slug}/manage/no-such-action"):
            _open(visitor, base + path, headers={"Referer": manage_url})
        _open(visitor, manage_url + "/edit")

        # An upload, and its job polled by id (no worker: it stays queued).
        data, ctype = multipart(b"Test Person\ntest.person@example.com\n")
        status, _, body = _open(
            visitor, base + "/api/v1/extractions", data, {"Content-Type": ctype}
        )
        assert status in (201, 202), body
        secrets["job id"] = json.loads(body)["id"]
        _open(visitor, f"{base}/api/v1/extractions/{secrets['job id']}")
        _open(visitor, f"{base}/jobs/{secrets['job id']}/")

        # A password reset, from the form to the mailed link and its redirect.
        user = _opener(http.cookiejar.CookieJar())
        status, _, form = _open(user, base + "/accounts/password/reset/")
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1].decode()
        status, _, _ = _open(
            user,
            base + "/accounts/password/reset/",
            urllib.parse.urlencode(
                {"csrfmiddlewaretoken": csrf, "email": "grace@example.com"}
            ).encode(),
            {"Referer": base + "/accounts/password/reset/"},
        )
        assert status == 200
        (sent,) = mails.iterdir()
        link = re.search(r"http://\S+/password/reset/([^/\s]+)/([^/\s]+)/", sent.read_text())
        secrets["reset token"] = link[2]
        status, landed, page = _open(user, link[0])
        assert status == 200 and landed.endswith("/set-password/"), landed
        assert b"new_password1" in page
    finally:
        stop_group(server)

    written = log.read_text()
    # No secret, in any form ...
    for what, value in secrets.items():
        for form in {value, value.upper(), urllib.parse.quote(value, safe="")}:
            assert form not in written, f"the {what} is in the log"
    # ... and the lines are there, readable, with their placeholders.
    assert f"/p/{slug}/manage/{REDACTED}" in written, written[-3000:]
    assert f"/accounts/password/reset/{REDACTED}/set-password/" in written
    assert "/api/v1/extractions/[id]" in written
