"""Doubtful fields flagged whichever extractor answered (issue 15, point 3).

When the model answers, the local extractor reads the same text and every
field where the two differ is "disagree" in the job's confidence: in the API,
on the review page, beside the local extractor's own low-confidence notes.
The model is the fake on loopback (tests/fakes/fake_anthropic.py). The person
and companies are invented."""

from __future__ import annotations

import contextlib
import copy
import logging
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from extraction import queue, runner
from extraction.extractors.local import LocalExtractor
from extraction.models import ExtractionJob, JobState
from extraction.queue import duration_words
from extraction.resume.disagreement import DISAGREE, compare
from portfolios.editing import confidence_notes
from tests.fakes import fake_anthropic as fa

pytestmark = pytest.mark.django_db

CV = b"""Marta Kowalski
Backend Engineer
marta.kowalski@example.com | +44 20 7946 0958 | Bristol, UK

Experience

Senior Backend Engineer
Northwind Traders Ltd, Bristol
March 2020 - Present
- Built the order service in Python and PostgreSQL.
- Led a team of four engineers.

Software Developer
Contoso Analytics, Cardiff
June 2016 - February 2020
- Wrote reporting pipelines.

Education

MSc Computer Science
University of Bath
2014 - 2016

Skills
Python, Django, PostgreSQL, Docker
"""

# What a careful reader makes of CV: the model's answer when it is right.
FAITHFUL = {
    "basics": {
        "name": "Marta Kowalski",
        "label": "Backend Engineer",
        "email": "marta.kowalski@example.com",
        "phone": "+44 20 7946 0958",
        "location": {"city": "Bristol", "countryCode": "GB"},
    },
    "work": [
        {
            "name": "Northwind Traders Ltd",
            "location": "Bristol",
            "position": "Senior Backend Engineer",
            "startDate": "2020-03",
            "highlights": [
                "Built the order service in Python and PostgreSQL.",
                "Led a team of four engineers.",
            ],
        },
        {
            "name": "Contoso Analytics",
            "location": "Cardiff",
            "position": "Software Developer",
            "startDate": "2016-06",
            "endDate": "2020-02",
            "highlights": ["Wrote reporting pipelines."],
        },
    ],
    "education": [
        {
            "institution": "University of Bath",
            "studyType": "MSc",
            "area": "Computer Science",
            "startDate": "2014",
            "endDate": "2016",
        }
    ],
    "skills": [{"name": "Skills", "keywords": ["Python", "Django", "PostgreSQL", "Docker"]}],
}


def two_wrong() -> dict:
    """FAITHFUL with exactly two fields the CV does not say: another employer
    for the second job and another e-mail address."""
    doc = copy.deepcopy(FAITHFUL)
    doc["work"][1]["name"] = "Globex Corporation"
    doc["basics"]["email"] = "marta.k@example.org"
    return doc


TWO_FLAGS = {"basics.email": DISAGREE, "work[1].name": DISAGREE}


# --------------------------------------------------------------------------- compare()
def test_the_same_reading_raises_no_flag():
    assert compare(FAITHFUL, copy.deepcopy(FAITHFUL)) == {}


def test_a_different_employer_date_email_phone_or_name_is_flagged_on_the_answers_keys():
    other = copy.deepcopy(FAITHFUL)
    other["basics"]["name"] = "Maria Kowalska"
    other["basics"]["phone"] = "+44 20 7946 0000"
    other["work"][0]["startDate"] = "2019-03"
    other["education"][0]["institution"] = "University of Leeds"
    assert compare(FAITHFUL, other) == {
        "basics.name": DISAGREE,
        "basics.phone": DISAGREE,
        "work[0].startDate": DISAGREE,
        "education[0].institution": DISAGREE,
    }


def test_entries_are_paired_by_what_they_say_not_by_their_place():
    reordered = copy.deepcopy(FAITHFUL)
    reordered["work"].reverse()
    assert compare(FAITHFUL, reordered) == {}
    # A changed employer is still found on the right entry after a reorder.
    reordered["work"][0]["name"] = "Globex Corporation"  # was Contoso, FAITHFUL's work[1]
    assert compare(FAITHFUL, reordered) == {"work[1].name": DISAGREE}


def test_texts_dates_and_phones_are_compared_normalised():
    other = copy.deepcopy(FAITHFUL)
    other["basics"]["name"] = "MARTA  KOWALSKI"
    other["basics"]["email"] = "Marta.Kowalski@Example.com"
    other["basics"]["phone"] = "020 7946 0958"  # the trunk 0 instead of +44
    other["work"][0]["name"] = "Northwind Traders, Bristol"  # no "Ltd", the place kept
    other["work"][0]["startDate"] = "2020"  # less precise, not different
    other["work"][1]["position"] = "Software developer."
    other["education"][0]["institution"] = "Universität of Bath"  # an accent
    assert compare(FAITHFUL, other) == {}


def test_an_entry_one_of_the_readings_did_not_find_is_flagged():
    fewer = copy.deepcopy(FAITHFUL)
    del fewer["work"][0]
    # The answer has an entry the second reading did not find: that entry.
    assert compare(FAITHFUL, fewer) == {"work[0]": DISAGREE}
    # The second reading found an entry the answer lacks: the section.
    assert compare(fewer, FAITHFUL) == {"work": DISAGREE}


def test_a_value_only_one_reading_found_is_a_disagreement():
    no_phone = copy.deepcopy(FAITHFUL)
    del no_phone["basics"]["phone"]
    assert compare(FAITHFUL, no_phone) == {"basics.phone": DISAGREE}
    assert compare(no_phone, FAITHFUL) == {"basics.phone": DISAGREE}


def test_fields_the_second_reader_never_reads_are_not_compared():
    other = copy.deepcopy(FAITHFUL)
    other["basics"]["label"] = "Platform Engineer"
    other["skills"] = [{"name": "Tools", "keywords": ["Go"]}]
    other["work"][0]["highlights"] = ["Something else"]
    assert compare(FAITHFUL, other) == {}


def test_volunteering_the_local_reader_files_as_a_job_is_not_missing():
    answer = copy.deepcopy(FAITHFUL)
    answer["volunteer"] = [{"organization": "Code Club", "startDate": "2018"}]
    second = copy.deepcopy(FAITHFUL)
    second["work"].append({"name": "Code Club", "position": "Volunteer", "startDate": "2018"})
    assert compare(answer, second) == {}


def test_the_local_reader_agrees_with_a_faithful_answer_on_this_cv():
    """The ground of the job tests below: on CV, the local extractor reads what
    FAITHFUL says in every field compared."""
    local = LocalExtractor().extract(CV.decode(), deadline=time.monotonic() + 30)
    assert compare(FAITHFUL, local.resume) == {}
    assert compare(two_wrong(), local.resume) == TWO_FLAGS


# --------------------------------------------------------------------------- jobs


@contextlib.contextmanager
def claude(settings, *replies):
    with fa.FakeAnthropic(*replies) as model:
        settings.EXTRACTOR = "claude"
        settings.ANTHROPIC_API_KEY = "test-key"
        settings.ANTHROPIC_BASE_URL = model.url
        yield model


def upload_and_run(api) -> dict:
    r = api.post(
        "/api/v1/extractions", {"file": SimpleUploadedFile("cv.txt", CV)}, format="multipart"
    )
    assert r.status_code == 202, r.content
    runner.run_job(queue.claim_next("test-worker"))
    return api.get(f"/api/v1/extractions/{r.json()['id']}").json()


def test_the_model_wrong_in_two_fields_gives_exactly_those_two_flags(settings, api):
    with claude(settings, fa.ok(two_wrong())) as model:
        body = upload_and_run(api)
    assert model.calls == 1
    assert body["status"] == "succeeded" and body["extractor"] == "claude"
    assert body["confidence"] == TWO_FLAGS
    # Nothing is changed: the answer is the model's, wrong fields included.
    assert body["result"]["basics"]["email"] == "marta.k@example.org"
    assert body["result"]["work"][1]["name"] == "Globex Corporation"


def test_the_model_agreeing_with_the_second_reading_gives_no_flag(settings, api):
    with claude(settings, fa.ok(FAITHFUL)):
        body = upload_and_run(api)
    assert body["status"] == "succeeded" and body["extractor"] == "claude"
    assert body["confidence"] == {}


def test_the_flags_are_kept_for_a_cache_hit(settings, api):
    with claude(settings, fa.ok(two_wrong())) as model:
        upload_and_run(api)
        hit = api.post(
            "/api/v1/extractions", {"file": SimpleUploadedFile("cv.txt", CV)}, format="multipart"
        ).json()
    assert model.calls == 1
    assert hit["cached"] and hit["confidence"] == TWO_FLAGS


def test_the_local_extractor_answering_keeps_its_own_confidence_only(api):
    body = upload_and_run(api)
    assert body["extractor"] == "local"
    assert set(body["confidence"].values()) <= {"high", "low"}


def test_a_crash_of_the_second_reading_never_fails_the_job(settings, api, monkeypatch, caplog):
    def crash(self, text, *, deadline):
        raise RuntimeError("rules bug")

    monkeypatch.setattr(LocalExtractor, "extract", crash)
    with (
        caplog.at_level(logging.WARNING, "cv2web.extraction"),
        claude(settings, fa.ok(two_wrong())),
    ):
        body = upload_and_run(api)
    assert body["status"] == "succeeded" and body["extractor"] == "claude"
    assert body["result"]["work"][1]["name"] == "Globex Corporation"
    assert body["confidence"] == {}
    assert any(
        "cross-check: the local extractor failed (RuntimeError)" in r.getMessage()
        for r in caplog.records
    )


def test_a_second_reading_past_its_time_never_fails_or_holds_the_job(
    settings, api, monkeypatch, caplog
):
    settings.EXTRACTION_CROSS_CHECK_TIMEOUT_S = 0.2
    original = LocalExtractor.extract
    release, read = threading.Event(), threading.Event()

    def slow(self, text, *, deadline):
        release.wait(30)  # held until the job is over
        try:
            return original(self, text, deadline=deadline)
        finally:
            read.set()

    monkeypatch.setattr(LocalExtractor, "extract", slow)
    try:
        with (
            caplog.at_level(logging.WARNING, "cv2web.extraction"),
            claude(settings, fa.ok(two_wrong())),
        ):
            body = upload_and_run(api)
        # The job is done while the second reading is still held: it did not wait.
        assert not read.is_set()
    finally:
        release.set()
    assert body["status"] == "succeeded" and body["confidence"] == {}
    assert any("took more than 0.2 s" in r.getMessage() for r in caplog.records)
    job = ExtractionJob.objects.get()
    assert job.state == JobState.SUCCEEDED and job.confidence == {}


def test_the_cross_check_can_be_turned_off(settings, api):
    settings.EXTRACTION_CROSS_CHECK = False
    with claude(settings, fa.ok(two_wrong())):
        body = upload_and_run(api)
    assert body["status"] == "succeeded" and body["confidence"] == {}


# --------------------------------------------------------------------------- review page
def test_the_review_page_marks_exactly_the_two_fields_to_check(settings, client):
    with claude(settings, fa.ok(two_wrong())):
        client.post("/", {"file": SimpleUploadedFile("cv.txt", CV)})
        runner.run_job(queue.claim_next("test-worker"))
    job = ExtractionJob.objects.get()
    assert job.confidence == TWO_FLAGS
    page = client.get(f"/jobs/{job.pk}/review").content.decode()
    # Beside the fields themselves...
    assert page.count("Check this: a second reading of your CV found something else here.") == 2
    email_field = page.split('name="basics-email"')[1].split("</div>")[0]
    assert "Check this: a second reading" in email_field
    employer = page.split('name="work-1-name"')[1].split("</div>")[0]
    assert "Check this: a second reading" in employer
    other = page.split('name="work-0-name"')[1].split("</div>")[0]
    assert "Check this" not in other
    # ...and as sentences with the section they are about.
    assert "Your email: check this, a second reading of your CV found something else." in page
    assert (
        "Work entry 2: check the employer, a second reading of your CV found something else."
        in (page)
    )
    # The form still holds what the model read: nothing was changed.
    assert 'value="marta.k@example.org"' in page and 'value="Globex Corporation"' in page


def test_flags_sit_beside_the_low_confidence_notes():
    notes = confidence_notes(
        {
            "basics.phone": "low",
            "basics.email": DISAGREE,
            "work[0].startDate": DISAGREE,
            "education[1]": DISAGREE,
            "work": DISAGREE,
        }
    )
    assert notes == [
        "Your phone: we were not sure we read it right.",
        "Your email: check this, a second reading of your CV found something else.",
        "Work entry 1: check the start date, a second reading of your CV found something else.",
        "Education entry 2: check this entry, a second reading of your CV did not find it.",
        "Work: check that nothing is missing, a second reading of your CV found an entry "
        "that is not here.",
    ]


def test_an_entry_the_second_reading_did_not_find_is_marked_on_the_entry(settings, client):
    extra = copy.deepcopy(FAITHFUL)
    extra["work"].append(
        {"name": "Initech", "position": "Intern", "startDate": "2015-06", "endDate": "2015-09"}
    )
    with claude(settings, fa.ok(extra)):
        client.post("/", {"file": SimpleUploadedFile("cv.txt", CV)})
        runner.run_job(queue.claim_next("test-worker"))
    job = ExtractionJob.objects.get()
    assert job.confidence == {"work[2]": DISAGREE}
    page = client.get(f"/jobs/{job.pk}/review").content.decode()
    entry = page.split('name="work-2-src"')[0].rsplit("<fieldset", 1)[1]
    assert "Check this entry: a second reading of your CV did not find it." in entry


# --------------------------------------------------------------------------- upload page
@pytest.mark.parametrize(
    "seconds, words",
    [
        (0.0, "a few seconds"),
        (0.4, "a few seconds"),
        (9.9, "a few seconds"),
        (10, "under a minute"),
        (49, "under a minute"),
        (50, "about a minute"),
        (89, "about a minute"),
        (90, "about 2 minutes"),
        (600, "about 10 minutes"),
        (3500, "about an hour"),
        (7200, "more than an hour"),
    ],
)
def test_the_typical_duration_in_words(seconds, words):
    assert duration_words(seconds) == words


def test_the_upload_page_never_says_about_0_seconds(client, monkeypatch):
    monkeypatch.setattr(queue, "typical_duration", lambda: 0.3)
    page = client.get("/").content.decode()
    assert "A CV usually takes a few seconds." in page
    assert "0 seconds" not in page


# --------------------------------------------------------------------------- model batches
@contextlib.contextmanager
def batch_claude(settings, answer: dict):
    from extraction.extractors import claude as claude_mod

    with fa.FakeAnthropic() as model:
        settings.EXTRACTOR = "claude"
        settings.ANTHROPIC_API_KEY = "test-key"
        settings.ANTHROPIC_BASE_URL = model.url
        settings.EXTRACTION_BATCH_MAX_AGE_S = 0
        claude_mod.reset_client()
        model.batch_item = lambda cid, params: fa.ok(answer)
        yield model
        claude_mod.reset_client()


def background_upload() -> ExtractionJob:
    from extraction import intake
    from extraction.models import Mode

    return intake.accept(SimpleUploadedFile("cv.txt", CV), via="api", mode=Mode.BACKGROUND)


def test_an_answer_from_a_model_batch_is_flagged_too(settings):
    from extraction import batches

    with batch_claude(settings, two_wrong()):
        job = background_upload()
        batches.run()
        batches.run()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.extractor_used == "claude"
    assert job.batch_id is not None
    assert job.confidence == TWO_FLAGS
    assert job.result["basics"]["email"] == "marta.k@example.org"


def test_a_batch_run_out_of_time_keeps_its_answers_without_flags(settings, caplog):
    from extraction import batches
    from extraction.models import ModelBatch

    with batch_claude(settings, two_wrong()):
        job = background_upload()
        batches.run()  # sent
        with caplog.at_level(logging.INFO, "cv2web.extraction"):
            # A poll whose run has no time left for second readings.
            batches.poll(ModelBatch.objects.get(), batches.Stats(), budget_end=time.monotonic() - 1)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.confidence == {}
    assert any("without a second reading" in r.getMessage() for r in caplog.records)


def test_the_flags_follow_the_entries_of_the_document_the_person_saved(settings, client):
    with claude(settings, fa.ok(two_wrong())):
        client.post("/", {"file": SimpleUploadedFile("cv.txt", CV)})
        runner.run_job(queue.claim_next("test-worker"))
    job = ExtractionJob.objects.get()
    # The person swaps the two jobs and corrects the e-mail, then saves.
    form = {
        "basics-name": "Marta Kowalski",
        "basics-email": "marta.kowalski@example.com",
        "basics-phone": "+44 20 7946 0958",
    }
    for section, entries in (("work", [1, 0]), ("education", [0])):
        form[f"{section}-TOTAL_FORMS"] = str(len(entries))
        form[f"{section}-INITIAL_FORMS"] = str(len(entries))
        for pos, src in enumerate(entries):
            item = job.result[section][src]
            form[f"{section}-{pos}-src"] = str(src)
            form[f"{section}-{pos}-ORDER"] = str(pos + 1)
            for key in ("name", "position", "institution", "area", "studyType"):
                if key in item:
                    form[f"{section}-{pos}-{key}"] = item[key]
            for key in ("startDate", "endDate"):
                if key in item:
                    form[f"{section}-{pos}-{key}"] = item[key]
    for section in (
        "profiles",
        "projects",
        "skills",
        "languages",
        "certificates",
        "volunteer",
        "awards",
        "publications",
        "interests",
        "references",
    ):
        form.setdefault(f"{section}-TOTAL_FORMS", "0")
        form.setdefault(f"{section}-INITIAL_FORMS", "0")
    r = client.post(f"/jobs/{job.pk}/review", form)
    assert r.status_code == 303, r.content.decode()[:2000]
    page = client.get(f"/jobs/{job.pk}/review").content.decode()
    # Globex is now the first job: its flag went with it; the e-mail was corrected.
    assert page.count("Check this: a second reading of your CV found something else here.") == 1
    first = page.split('name="work-0-name"')[1].split("</div>")[0]
    assert 'value="Globex Corporation"' in first and "Check this" in first
    assert "Work entry 1: check the employer" in page
    assert "Your email: check this" not in page


def test_notes_on_a_removed_entry_or_a_changed_field_go_and_the_rest_move():
    from portfolios.editing import confidence_for

    edited = copy.deepcopy(FAITHFUL)
    del edited["work"][0]  # removed: its notes go
    edited["basics"]["phone"] = "+44 117 496 0000"  # changed by the person: its note goes
    confidence = {
        "basics.name": "high",
        "basics.phone": DISAGREE,
        "work[0].startDate": "low",
        "work[1].position": "low",
        "work[1].endDate": DISAGREE,
        "education[0]": DISAGREE,
        "skills": "low",
    }
    assert confidence_for(FAITHFUL, edited, confidence) == {
        "basics.name": "high",
        "work[0].position": "low",
        "work[0].endDate": DISAGREE,
        "education[0]": DISAGREE,
        "skills": "low",
    }
    assert confidence_for(FAITHFUL, copy.deepcopy(FAITHFUL), confidence) == confidence
