"""The API docs render in a real browser from our own assets only."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_without_external_requests_or_csp_errors(page, live_server):
    hosts, errors = set(), []
    page.on("request", lambda req: hosts.add(urlparse(req.url).hostname))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector("text=Upload a CV for extraction", timeout=20_000)
    assert hosts <= {urlparse(live_server.url).hostname}
    assert not [e for e in errors if "Content Security Policy" in e], errors
