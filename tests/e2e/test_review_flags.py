"""The review page in a real browser shows the fields a second reading
disagreed on (issue 15, acceptance 3): the fake model answers with two fields
the CV does not say, and exactly those two say "check this", beside their
inputs, which still hold the model's values."""

from __future__ import annotations

import pytest

from extraction import queue, runner
from extraction.models import ExtractionJob
from tests.extraction.test_disagreement import CV, TWO_FLAGS, two_wrong
from tests.fakes import fake_anthropic as fa
from tests.helpers import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHECK = "Check this: a second reading of your CV found something else here."


@pytest.fixture
def page(browser):
    # axe-core is injected as a script, which our CSP refuses: this context ignores CSP.
    context = browser.new_context(viewport={"width": 1024, "height": 800}, bypass_csp=True)
    yield context.new_page()
    context.close()


def test_the_review_page_shows_the_two_fields_to_check(page, live_server, settings, tmp_path):
    cv = tmp_path / "marta.txt"
    cv.write_bytes(CV)
    with fa.FakeAnthropic(fa.ok(two_wrong())) as model:
        settings.EXTRACTOR = "claude"
        settings.ANTHROPIC_API_KEY = "test-key"
        settings.ANTHROPIC_BASE_URL = model.url
        page.goto(live_server.url + "/")
        page.set_input_files("#id_file", str(cv))
        page.click("button[type=submit]")
        page.wait_for_url("**/jobs/**")
        runner.run_job(queue.claim_next("flags"))
    assert ExtractionJob.objects.get().confidence == TWO_FLAGS

    page.wait_for_selector("text=Here is what we found", timeout=15_000)
    page.click("text=Publish as a website")
    page.wait_for_url("**/review")

    flagged = page.locator(".field", has=page.get_by_role("note").filter(has_text=CHECK))
    assert flagged.count() == 2
    email = page.locator(".field", has=page.locator("input[name='basics-email']"))
    employer = page.locator(".field", has=page.locator("input[name='work-1-name']"))
    for field in (email, employer):
        note = field.get_by_role("note").filter(has_text=CHECK)
        assert note.is_visible()
    # What the model read is still there: nothing was changed.
    assert page.input_value("input[name='basics-email']") == "marta.k@example.org"
    assert page.input_value("input[name='work-1-name']") == "Globex Corporation"
    unflagged = page.locator(".field", has=page.locator("input[name='work-0-name']"))
    assert unflagged.get_by_role("note").filter(has_text=CHECK).count() == 0
    # The section notes name them in words too.
    basics = page.locator("#section-basics")
    assert basics.get_by_text("Your email: check this").is_visible()
    assert (
        page.locator("#section-work").get_by_text("Work entry 2: check the employer").is_visible()
    )
    assert axe_violations(page) == []
