"""A person uploads a sample CV in a real browser, sees their place in the
queue, then the result, and downloads the JSON Resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extraction import queue, runner
from tests.conftest import sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_shows_queue_position_then_the_result(page, live_server):
    cv = sample("dev-06-class.pdf")
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto(live_server.url + "/")
    assert "10 MB" in page.inner_text("main") and "20 pages" in page.inner_text("main")
    page.set_input_files("#id_file", str(cv))
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs/**")
    assert page.inner_text("h1") == "Waiting in line"
    assert page.inner_text("#position") == "1"

    # A worker picks the job up; the page follows by itself.
    runner.run_job(queue.claim_next("browser-test"))
    page.wait_for_selector("text=Here is what we found", timeout=15_000)
    truth = json.loads(cv.with_name("dev-06.json").read_text())
    assert truth["basics"]["name"].split()[0] in page.inner_text(".resume")

    with page.expect_download() as download:
        page.click("text=Download JSON Resume")
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["basics"]["name"]
    assert errors == []  # no CSP violations, no script errors


def test_a_bad_file_gets_a_message_in_the_page(page, live_server, tmp_path):
    bad = tmp_path / "cv.pdf"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    page.goto(live_server.url + "/")
    page.set_input_files("#id_file", str(bad))
    page.click("button[type=submit]")
    assert "We could not take this file" in page.inner_text("[role=alert]")
