"""The whole journey in a real browser (issue acceptance): upload a sample CV,
watch the queue, review, publish, visit, manage, keep alive. Every page is
checked with axe-core (no serious or critical violation) and for sideways
scrolling at 375 px."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from extraction import queue, runner
from portfolios.models import Portfolio, State
from tests.conftest import sample
from tests.helpers import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check_page(page, what: str, seen: dict) -> None:
    """axe-core and a 375 px width on the page as it is now."""
    violations = axe_violations(page)
    assert not violations, f"{what}: {violations}"
    url = page.url
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(url)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), what
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(url)
    seen[what] = url


@pytest.fixture
def page(browser):
    # axe-core is injected as a script, which our CSP (rightly) refuses: this
    # context ignores CSP. tests/e2e/test_upload_journey.py checks the pages
    # with CSP enforced.
    context = browser.new_context(viewport={"width": 1024, "height": 800}, bypass_csp=True)
    yield context.new_page()
    context.close()


def test_upload_queue_review_publish_visit_manage_keep_alive(page, live_server):
    seen: dict[str, str] = {}
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))

    page.goto(live_server.url + "/")
    check_page(page, "upload", seen)
    page.set_input_files("#id_file", str(sample("dev-03-paper.pdf")))
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs/**")
    assert page.inner_text("h1") == "Waiting in line"
    assert page.inner_text("#position") == "1"
    check_page(page, "job queued", seen)

    runner.run_job(queue.claim_next("journey"))
    page.wait_for_selector("text=Here is what we found", timeout=15_000)
    check_page(page, "job result", seen)

    page.click("text=Publish as a website")
    page.wait_for_url("**/review")
    check_page(page, "review", seen)
    page.fill("input[name='basics-label']", "Reviewed label")
    page.click(".actions button:has-text('Save and choose a theme')")
    page.wait_for_url("**/publish")
    check_page(page, "publish", seen)
    preview = page.get_attribute("a:has-text('Preview')", "href")
    page.goto(live_server.url + preview)
    check_page(page, "preview", seen)
    page.go_back()
    page.check("input[name=theme] >> nth=1")
    page.click("button:has-text('Publish')")
    page.wait_for_url("**/published")
    # Shown once: read it before the checks reload the page.
    manage_url = page.get_attribute("a:has-text('Open the manage page')", "href")
    check_page(page, "published", seen)
    portfolio = Portfolio.objects.get()
    assert portfolio.state == State.ACTIVE

    page.goto(f"{live_server.url}/p/{portfolio.slug}/")
    assert portfolio.display_name in page.inner_text("h1")
    check_page(page, "portfolio", seen)

    # Absolute on PUBLIC_BASE_URL; this test server has its own port.
    page.goto(live_server.url + urlparse(manage_url).path)
    check_page(page, "manage", seen)
    Portfolio.objects.filter(pk=portfolio.pk).update(state=State.WARNING)
    page.reload()
    page.click("button:has-text('Keep it online')")
    page.wait_for_load_state()
    assert Portfolio.objects.get().state == State.ACTIVE

    page.goto(live_server.url + "/status")
    check_page(page, "status", seen)
    assert errors == [], errors
    assert len(seen) == 10
    assert Portfolio.objects.get().resume["basics"]["label"] == "Reviewed label"
