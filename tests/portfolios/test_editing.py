"""The review form: edit a JSON Resume document before publishing or afterwards."""

from __future__ import annotations

import copy
import json

import pytest

from extraction.resume import normalise
from portfolios.editing import Editor, section_of
from portfolios.models import Portfolio, State
from tests.conftest import sample
from tests.helpers import finished_job, form_values, manage_page, publish_form, published

pytestmark = pytest.mark.django_db

COVERED = ("work", "education", "projects", "skills", "languages", "certificates")


@pytest.fixture
def ground_truth() -> dict:
    doc, _ = normalise(json.loads(sample("dev-01.json").read_text(encoding="utf-8")))
    doc.setdefault("projects", [{"name": "cv2web", "url": "https://example.com/cv2web"}])
    doc.setdefault(
        "certificates",
        [{"name": "OSCP", "issuer": "OffSec", "date": "2020-05", "url": "https://example.com/c"}],
    )
    return doc


@pytest.fixture
def job(client, ground_truth):
    job = finished_job(client)
    job.result = copy.deepcopy(ground_truth)
    job.warnings = ["work[1].startDate: 'spring' is not a date; dropped.", "Check the skills."]
    job.save(update_fields=["result", "warnings"])
    return job


def review(client, job, **changes):
    values = form_values(client.get(f"/jobs/{job.pk}/review"))
    values.update(changes)
    return client.post(f"/jobs/{job.pk}/review", values)


def edited(client, job) -> dict:
    return client.session[f"pages:edited:{job.pk}"]


def test_the_job_page_links_to_the_review(client, job):
    assert f"/jobs/{job.pk}/review" in client.get(f"/jobs/{job.pk}/").content.decode()


def test_round_trip_gives_the_same_document(client, job, ground_truth):
    page = client.get(f"/jobs/{job.pk}/review")
    assert page.status_code == 200
    text = page.content.decode()
    for label in ("Add a job", "Add a school", "Add a project", "Add a skill", "Add a language"):
        assert label in text
    assert "Save and choose a theme" in text
    r = client.post(f"/jobs/{job.pk}/review", form_values(page))
    assert r.status_code == 303 and r["Location"] == f"/jobs/{job.pk}/publish"
    assert edited(client, job) == ground_truth
    for key in COVERED:
        assert edited(client, job)[key] == ground_truth[key]


def test_warnings_show_at_the_top_and_beside_their_section(client, job):
    text = client.get(f"/jobs/{job.pk}/review").content.decode()
    assert text.count("is not a date") == 3  # at the top, in the work section, at its field
    work = text.split('id="section-work"')[1].split('id="section-education"')[0]
    assert "is not a date" in work
    skills = text.split('id="section-skills"')[1].split('id="section-languages"')[0]
    assert "Check the skills." in skills
    assert section_of("basics.profiles[0].url: no host; link dropped.") == ["profiles"]
    assert section_of("We could not find your languages.") == ["languages"]


def test_the_edited_document_is_what_gets_published(client, job):
    r = review(client, job, **{"basics-label": "Security engineer"})
    assert r.status_code == 303
    assert "Security engineer" in client.get(f"/jobs/{job.pk}/preview/classic").content.decode()
    assert publish_form(client, job).status_code == 303
    p = Portfolio.objects.get()
    assert p.resume["basics"]["label"] == "Security engineer"
    assert "Security engineer" in (p.sandbox_path / "index.html").read_text()


def test_add_a_job_then_save(client, job, ground_truth):
    values = form_values(client.get(f"/jobs/{job.pk}/review"))
    page = client.post(f"/jobs/{job.pk}/review", {**values, "add": "work"})
    assert page.status_code == 200
    values = form_values(page)
    n = len(ground_truth["work"])
    assert values["work-TOTAL_FORMS"] == str(n + 1)
    values.update(
        {
            f"work-{n}-name": "Acme",
            f"work-{n}-position": "Tester",
            f"work-{n}-startDate": "2024-02",
            f"work-{n}-highlights": "Found bugs\n\nFixed them\n",
        }
    )
    r = client.post(f"/jobs/{job.pk}/review", values)
    assert r.status_code == 303
    work = edited(client, job)["work"]
    assert len(work) == n + 1
    assert work[-1] == {
        "name": "Acme",
        "position": "Tester",
        "startDate": "2024-02",
        "highlights": ["Found bugs", "Fixed them"],
    }


def test_delete_one_and_reorder_two(client, job, ground_truth):
    work, skills = ground_truth["work"], ground_truth["skills"]
    r = review(
        client,
        job,
        **{"work-0-DELETE": "on", "skills-0-ORDER": "2", "skills-1-ORDER": "1"},
    )
    assert r.status_code == 303
    doc = edited(client, job)
    assert doc["work"] == work[1:]
    assert [s["name"] for s in doc["skills"][:2]] == [skills[1]["name"], skills[0]["name"]]
    assert doc["skills"][2:] == skills[2:]


def test_uncovered_keys_are_kept_on_moved_entries(client, job, ground_truth):
    r = review(client, job, **{"work-0-ORDER": "9", "work-0-position": "Principal"})
    assert r.status_code == 303
    last = edited(client, job)["work"][-1]
    assert last == {**ground_truth["work"][0], "position": "Principal"}
    assert last["location"] == "Mannheim"  # not on the form, kept


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("work-0-startDate", "March 2020", "YYYY, YYYY-MM or YYYY-MM-DD"),
        ("education-1-endDate", "2020-13", "YYYY, YYYY-MM or YYYY-MM-DD"),
        ("basics-url", "javascript:alert(1)", "https://"),
        ("projects-0-url", " java\tscript:alert(1)", "https://"),
        ("basics-name", "  ", "Your name is needed"),
        ("skills-0-name", "", "Give the skill a name"),
    ],
)
def test_invalid_input_is_shown_beside_the_field(client, job, field, value, message):
    r = review(client, job, **{field: value})
    assert r.status_code == 400
    text = r.content.decode()
    assert message in text
    # The message sits in the field's own block.
    block = text.split(f'name="{field}"')[1].split('<div class="field')[0]
    assert "errorlist" in block and message in block
    assert f"pages:edited:{job.pk}" not in client.session


def test_script_is_saved_and_shown_escaped(client, job):
    attack = "<script>alert(1)</script>"
    assert review(client, job, **{"basics-label": attack}).status_code == 303
    assert publish_form(client, job).status_code == 303
    p = Portfolio.objects.get()
    assert p.resume["basics"]["label"] == attack
    html = (p.sandbox_path / "index.html").read_text()
    assert attack not in html and "&lt;script&gt;" in html
    page = client.get(f"/jobs/{job.pk}/review").content.decode()
    assert attack not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_edit_through_the_manage_link_rebuilds_the_sandbox(client, job):
    p, link = published(client, job)
    url = manage_page(client, link)
    manage = client.get(url).content.decode()
    assert f"{url}edit" in manage
    before = p.last_activity_at
    page = client.get(url + "edit")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store, private"
    values = form_values(page)
    values["work-0-summary"] = "Now leading the red team."
    r = client.post(url + "edit", values)
    assert r.status_code == 303 and r["Location"] == url
    p.refresh_from_db()
    assert p.resume["work"][0]["summary"] == "Now leading the red team."
    assert "Now leading the red team." in (p.sandbox_path / "index.html").read_text()
    assert p.last_activity_at > before
    assert "Saved" in client.get(url).content.decode()


def test_invalid_edit_through_the_manage_link_saves_nothing(client, job):
    p, link = published(client, job)
    url = manage_page(client, link)
    values = form_values(client.get(url + "edit"))
    values.update({"basics-name": "", "work-0-summary": "Changed"})
    r = client.post(url + "edit", values)
    assert r.status_code == 400 and "Your name is needed" in r.content.decode()
    p.refresh_from_db()
    assert p.resume["work"][0].get("summary") != "Changed"
    assert "Changed" not in (p.sandbox_path / "index.html").read_text()


def test_an_edit_without_the_link_or_its_session_changes_nothing(client, job):
    from django.test import Client

    p, link = published(client, job)
    url = manage_page(client, link)
    values = form_values(client.get(url + "edit"))
    values["basics-name"] = "Mallory"
    stranger = Client()
    assert stranger.get(url + "edit").status_code == 403
    assert stranger.post(url + "edit", values).status_code == 403
    wrong = "w" * 43
    assert stranger.get(f"/p/{p.slug}/manage/{wrong}/edit").status_code == 404
    assert stranger.get(f"/p/no-such-slug/manage/{link.rsplit('/', 1)[1]}/edit").status_code == 404
    p.refresh_from_db()
    assert p.resume["basics"]["name"] != "Mallory" and p.state == State.ACTIVE


def test_review_of_an_unfinished_or_foreign_job(client, alice, job):
    job.owner = alice
    job.save(update_fields=["owner"])
    assert client.get(f"/jobs/{job.pk}/review").status_code == 404


def test_editor_without_a_request(ground_truth):
    editor = Editor(ground_truth)
    data = {}
    for form in [editor.basics] + [f for s in editor.sections for f in s.formset]:
        for field in form:
            value = field.value()
            if value is not None and value is not False:
                data[field.html_name] = str(field.field.prepare_value(value))
    for s in editor.sections:
        for field in s.formset.management_form:
            data[field.html_name] = str(field.value())
    bound = Editor(ground_truth, data=data)
    assert bound.is_valid(), [bound.basics.errors] + [s.formset.errors for s in bound.sections]
    assert bound.to_resume() == ground_truth


def test_volunteering_awards_publications_and_interests_round_trip(client, job):
    extra = {
        "volunteer": [
            {
                "organization": "Food Bank",
                "position": "Driver",
                "startDate": "2018-03",
                "highlights": ["Weekly rounds"],
            }
        ],
        "awards": [{"title": "Best Talk", "awarder": "A Conference", "date": "2021"}],
        "publications": [
            {
                "name": "On Queues",
                "publisher": "A Journal",
                "releaseDate": "2022-07",
                "url": "https://example.com/q",
            }
        ],
        "interests": [{"name": "Climbing", "keywords": ["bouldering", "alpine"]}],
    }
    job.result = {**job.result, **extra}
    job.save(update_fields=["result"])
    page = client.get(f"/jobs/{job.pk}/review")
    for label in ("Add volunteering", "Add an award", "Add a publication", "Add an interest"):
        assert label in page.content.decode()
    values = form_values(page)
    values["awards-0-title"] = "Best Talk of the Year"
    assert client.post(f"/jobs/{job.pk}/review", values).status_code == 303
    doc = edited(client, job)
    for key in ("volunteer", "publications", "interests"):
        assert doc[key] == extra[key]
    assert doc["awards"][0]["title"] == "Best Talk of the Year"


def test_notes_stand_beside_the_field_they_concern(client, job):
    from extraction.models import ExtractionJob

    ExtractionJob.objects.filter(pk=job.pk).update(confidence={"basics.email": "low"})
    html = client.get(f"/jobs/{job.pk}/review").content.decode()
    # The warning names work[1].startDate: it stands in the second job's start field.
    start_field = html.index('name="work-1-startDate"')
    end_of_field = html.index("</div>", start_field)
    assert "is not a date; dropped." in html[start_field:end_of_field]
    email_field = html.index('name="basics-email"')
    assert "not sure we read this right" in html[email_field : html.index("</div>", email_field)]
    # And not beside other fields.
    first_start = html.index('name="work-0-startDate"')
    assert "not a date" not in html[first_start : html.index("</div>", first_start)]


def test_references_and_extension_fields_are_edited_and_kept(client, job):
    """References are edited on the review form (and kept out of the public page);
    extension fields, `$schema` and `meta` pass through an edit untouched."""
    extra = {
        "$schema": "https://example.com/schema.json",
        "meta": {"version": "v1.0.0", "x-tool": {"a": 1}},
        "references": [{"name": "Dr Referee", "reference": "Reliable."}],
        "x-other": [{"k": "v"}],
    }
    job.result = {**job.result, **extra, "basics": {**job.result["basics"], "x-pronouns": "they"}}
    job.save(update_fields=["result"])
    page = client.get(f"/jobs/{job.pk}/review")
    assert "Add a reference" in page.content.decode()
    values = form_values(page)
    assert values["references-0-name"] == "Dr Referee"
    values["references-0-reference"] = "Reliable and kind."
    values["references-TOTAL_FORMS"] = "2"
    values["references-1-name"] = ""
    values["references-1-reference"] = ""
    assert client.post(f"/jobs/{job.pk}/review", values).status_code == 303
    doc = edited(client, job)
    assert doc["references"] == [{"name": "Dr Referee", "reference": "Reliable and kind."}]
    assert doc["basics"]["x-pronouns"] == "they"
    for key in ("$schema", "x-other"):
        assert doc[key] == extra[key]
    assert doc["meta"]["x-tool"] == {"a": 1} and doc["meta"]["version"] == "v1.0.0"
