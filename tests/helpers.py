"""Helpers shared by the test modules: a test module imports them from here (or
from tests/processes.py for child processes, tests/net.py for sockets), never from
another test module."""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from extraction import queue, runner
from extraction.models import Document, ExtractionJob, Priority
from portfolios import publishing
from portfolios.models import Portfolio
from portfolios.themes import DEFAULT_THEME
from tests.conftest import REPO
from tests.extraction import badfiles as bf

# ------------------------------------------------------------------ the queue


def make_doc(sha: str = "a" * 64) -> Document:
    """A stored upload's row (no file behind it)."""
    return Document.objects.create(
        sha256=sha, kind="txt", size=10, storage_name=f"{uuid.uuid4().hex}.txt"
    )


def enqueue(sha: str | None = None, priority: int = Priority.NEW, **kw) -> ExtractionJob:
    """A job queued for a new document (or the one of `sha`)."""
    sha = sha or uuid.uuid4().hex * 2
    return queue.enqueue(
        make_doc(sha), extractor="local", fingerprint="fp", priority=priority, **kw
    )


def run_to_the_end() -> None:
    """Run queued jobs until none is left. A parse stopped on a starved CPU
    counts as the server's fault and is retried, so this may take several
    attempts on a busy machine."""
    settings.EXTRACTION_RETRY_BACKOFF_S = 0
    while (job := queue.claim_next("w")) is not None:
        runner.run_job(job)


# ------------------------------------------------------------------ publishing

# Ada publishes unless a test says otherwise.
RESUME = {
    "basics": {"name": "Ada Example", "label": "Engineer", "email": "ada@example.com"},
    "work": [{"name": "Acme", "position": "Engineer", "startDate": "2020-01"}],
}


def publish_portfolio(
    resume: dict | None = None,
    theme: str = DEFAULT_THEME,
    *,
    client: str | None = None,
    key: str | None = None,
    limit: int = 10,
    retention_hours: int = 24,
    **extra,
) -> publishing.Publication:
    """`publishing.publish` with a test's defaults: Ada's document, a client of
    its own, a day's retention and room for `limit` live portfolios."""
    return publishing.publish(
        resume=RESUME if resume is None else resume,
        theme=theme,
        client=client or uuid.uuid4().hex[:12],
        retention_hours=retention_hours,
        active_limit=limit,
        publish_key=key,
        **extra,
    )


# ------------------------------------------------------------------ the pages

PUBLISH_KEY = "k" * 32


def finished_job(client, text: str = "Jane Example\njane@example.com\n") -> ExtractionJob:
    """Upload `text` through the home page and run its job to the end."""
    r = client.post("/", {"file": SimpleUploadedFile("cv.txt", bf.txt_utf8(text))})
    assert r.status_code == 302
    runner.run_job(queue.claim_next("w"))
    return ExtractionJob.objects.order_by("-created_at").first()


def publish_form(client, job, key: str = PUBLISH_KEY, **data):
    """Press Publish on the job's publish page."""
    return client.post(f"/jobs/{job.pk}/publish", {"theme": "classic", "publish_key": key, **data})


def manage_url(text: str) -> str:
    """The private manage link a page shows (its path)."""
    return re.search(r'value="https?://[^/"]+(/p/[^"]+/manage/[^"]+)"', text).group(1)


def published(client, job) -> tuple[Portfolio, str]:
    """Publish `job` through the page: the portfolio and its private manage link."""
    r = publish_form(client, job)
    assert r.status_code == 303
    url = manage_url(client.get(r["Location"]).content.decode())
    return Portfolio.objects.get(), url


def manage_page(client, link: str) -> str:
    """Open the private link: its token is traded for the session and the
    browser lands on the manage page's own, token-free address."""
    r = client.get(link)
    assert r.status_code == 303 and r["Cache-Control"] == "no-store, private"
    assert link.rsplit("/", 1)[1] not in r["Location"]
    return r["Location"]


class FormValues(HTMLParser):
    """What a browser would send for a form, without pressing a button."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self.buttons: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values[name] = a.get("value") or "on"
            else:
                self.values[name] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "button" and name:
            self.buttons.setdefault(name, []).append(a.get("value"))

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            # Browsers drop the newline right after <textarea>.
            name = self._textarea
            if name and self.values[name].startswith("\n"):
                self.values[name] = self.values[name][1:]
            self._textarea = None


def form_values(response) -> dict[str, str]:
    """The values the page's form would send."""
    parser = FormValues()
    parser.feed(response.content.decode())
    return parser.values


# ------------------------------------------------------------------ the browser

AXE = REPO / "tests" / "vendor" / "axe.min.js"


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the open page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


class WsgiResponse:
    """What a WSGI application answered, read like a test client's response."""

    def __init__(self, status: str, headers: list[tuple[str, str]], content: bytes) -> None:
        from http.cookies import SimpleCookie

        from django.http.response import ResponseHeaders

        self.status_code = int(status.split(None, 1)[0])
        self.header_list = headers
        self.headers = ResponseHeaders(dict(headers))
        self.content = content
        self.cookies = SimpleCookie()
        for name, value in headers:
            if name.lower() == "set-cookie":
                self.cookies.load(value)
        self.wsgi_request = None

    def __getitem__(self, name: str) -> str:
        return self.headers[name]

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)


class WsgiClient:
    """GET and HEAD through a WSGI application as gunicorn calls it (the
    project's entry point with its fast path, cv2web.wsgi), not Django's test
    handler. As that handler does, database connections are left open between
    requests, so that a test's transaction survives them."""

    def __init__(self, app=None) -> None:
        if app is None:
            from django.core.handlers.wsgi import WSGIHandler

            from cv2web.fastpath import FastPath

            app = FastPath(WSGIHandler())
        self.app = app

    def request(self, method: str, path: str, **extra) -> WsgiResponse:
        from django.core.signals import request_finished, request_started
        from django.db import close_old_connections
        from django.test import RequestFactory

        environ = RequestFactory().generic(method, path, **extra).environ
        got: list = []

        def start_response(status, headers, exc_info=None):
            got[:] = [status, list(headers)]

        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result = self.app(environ, start_response)
            try:
                content = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return WsgiResponse(got[0], got[1], content)

    def get(self, path: str, **extra) -> WsgiResponse:
        return self.request("GET", path, **extra)

    def head(self, path: str, **extra) -> WsgiResponse:
        return self.request("HEAD", path, **extra)


class SpyHandler:
    """Django's WSGI handler, noting the path of each request that reaches it
    (behind cv2web.fastpath.FastPath: what the fast path left to Django)."""

    def __init__(self) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()
        self.paths: list[str] = []

    def __call__(self, environ, start_response):
        self.paths.append(environ["PATH_INFO"])
        return self.handler(environ, start_response)


def count_redis_commands(monkeypatch) -> list:
    """From now until `monkeypatch.undo()`, every packet redis-py sends (a
    pipeline or a script is one): a round trip to Redis each."""
    import redis

    sent: list = []
    real = redis.connection.Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command)
        return real(self, command, check_health)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counting)
    return sent
