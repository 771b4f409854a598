"""Starting from a JSON Resume (issue 15, point 4): a `resume.json` through the
API and the upload page, v1 and the older v0 keys, cleaned as extractor output,
succeeded at once without the queue, free, and published as any other job;
every bad file a clear 4xx with nothing left behind."""

from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from extraction import readers
from extraction.models import Document, ExtractionJob, JobState
from extraction.readers.jsonresume import too_deep
from portfolios.models import Portfolio
from quotas.models import DailyUsage
from tests.extraction.test_bad_uploads import leftovers
from tests.helpers import publish_form

pytestmark = pytest.mark.django_db

URL = "/api/v1/extractions"

V1 = {
    "$schema": "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json",
    "basics": {
        "name": "Richard Hendriks",
        "label": "Programmer",
        "email": "richard.hendriks@mail.com",
        "phone": "(912) 555-4321",
        "url": "http://richardhendricks.example.com",
        "summary": "Richard hails from Tulsa. He has earned degrees from Oklahoma.",
        "location": {"city": "San Francisco", "countryCode": "US", "region": "California"},
        "profiles": [{"network": "Twitter", "username": "neutralthoughts", "url": ""}],
    },
    "work": [
        {
            "name": "Pied Piper",
            "position": "CEO/President",
            "url": "http://piedpiper.example.com",
            "startDate": "2013-12-01",
            "endDate": "2014-12-01",
            "summary": "Pied Piper is a multi-platform technology company.",
            "highlights": ["Build an algorithm for artist to detect if their music was violating"],
        }
    ],
    "education": [
        {
            "institution": "University of Oklahoma",
            "area": "Information Technology",
            "studyType": "Bachelor",
            "startDate": "2011-06-01",
            "endDate": "2014-01-01",
            "score": "4.0",
            "courses": ["DB1101 - Basic SQL"],
        }
    ],
    "skills": [{"name": "Web Development", "level": "Master", "keywords": ["HTML", "CSS"]}],
    "languages": [{"language": "English", "fluency": "Native speaker"}],
    "meta": {"version": "v1.0.0"},
}

# The v0 keys: `website` for `url`, `company` for `name`, `picture` for `image`.
V0 = {
    "basics": {
        "name": "Richard Hendriks",
        "email": "richard.hendriks@mail.com",
        "website": "http://richardhendricks.example.com",
        "location": {"city": "San Francisco", "countryCode": "US"},
    },
    "work": [
        {
            "company": "Pied Piper",
            "position": "CEO/President",
            "website": "http://piedpiper.example.com",
            "startDate": "2013-12-01",
            "endDate": "2014-12-01",
            "highlights": ["Build an algorithm"],
        }
    ],
    "education": [{"institution": "University of Oklahoma", "area": "IT", "gpa": "4.0"}],
    "awards": [{"title": "Digital Compression Pioneer Award", "awardDate": "2014-11-01"}],
}


def as_file(doc: object, name: str = "resume.json") -> SimpleUploadedFile:
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return SimpleUploadedFile(name, data, content_type="application/json")


def post(api, doc, name: str = "resume.json"):
    return api.post(URL, {"file": as_file(doc, name)}, format="multipart")


# --- Accepted -------------------------------------------------------------------


def test_a_v1_resume_succeeds_at_once_free_and_publishes(api):
    r = post(api, V1)
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["status"] == "succeeded" and body["position"] is None
    assert body["extractor"] == "jsonresume"
    result = body["result"]
    assert result["basics"]["name"] == "Richard Hendriks"
    assert result["work"][0]["name"] == "Pied Piper"
    assert result["work"][0]["startDate"] == "2013-12-01"
    assert result["education"][0]["institution"] == "University of Oklahoma"
    job = ExtractionJob.objects.get()
    assert job.state == JobState.SUCCEEDED and job.document.kind == "json"
    # No queue, no model, no allowance: nothing waits and nothing was counted.
    assert job.enqueued_at is not None and job.quota_subject == "" and job.input_tokens == 0
    assert ExtractionJob.objects.waiting().count() == 0
    assert DailyUsage.objects.count() == 0
    p = api.post(
        "/api/v1/portfolios",
        {"extraction": str(job.pk), "theme": "classic"},
        format="json",
        HTTP_X_MANAGE_TOKEN=body["manage_token"],
    )
    assert p.status_code == 201, p.json()
    page = api.get(urlsplit(p.json()["url"]).path)
    assert page.status_code == 200 and "Pied Piper" in page.content.decode()


def test_the_v0_keys_are_mapped_to_v1_and_publish(client):
    r = client.post("/", {"file": as_file(V0)})
    assert r.status_code == 302
    job = ExtractionJob.objects.get()
    assert job.state == JobState.SUCCEEDED
    doc = job.result
    assert doc["basics"]["url"] == "http://richardhendricks.example.com"
    assert "website" not in doc["basics"]
    assert doc["work"][0]["name"] == "Pied Piper" and "company" not in doc["work"][0]
    assert doc["work"][0]["url"] == "http://piedpiper.example.com"
    assert doc["education"][0]["score"] == "4.0"
    assert doc["awards"][0]["date"] == "2014-11-01"
    # The job page shows the result for review at once, then it publishes.
    text = client.get(r["Location"]).content.decode()
    assert "Pied Piper" in text
    assert "Taken from your JSON Resume as it is" in text
    review = client.get(reverse("portfolios:review", args=[job.pk]))
    assert review.status_code == 200 and "Pied Piper" in review.content.decode()
    assert publish_form(client, job).status_code == 303
    portfolio = Portfolio.objects.get()
    assert portfolio.source_job_id == job.pk
    assert "Pied Piper" in client.get(f"/p/{portfolio.slug}/").content.decode()


def test_it_is_cleaned_by_the_extractors_code(api):
    doc = {
        "basics": {"name": "  Ada\u0007 Lovelace ", "url": "javascript:alert(1)"},
        "work": [{"name": "Analytical Engines", "highlights": ["", "Notes on the engine"]}],
    }
    r = post(api, doc)
    assert r.status_code == 201, r.json()
    result = r.json()["result"]
    assert result["basics"]["name"] == "Ada Lovelace"
    assert "url" not in result["basics"]  # only http, https and mailto links
    assert result["work"][0]["highlights"] == ["Notes on the engine"]
    assert r.json()["warnings"]


def test_the_allowance_is_not_used_and_an_exhausted_one_does_not_stop_it(api):
    for _ in range(3):
        r = api.post(
            URL,
            {"file": SimpleUploadedFile("cv.txt", f"Person {_}\np{_}@example.com\n".encode())},
            format="multipart",
        )
        assert r.status_code == 202
    assert post(api, {"basics": {"name": "Jane"}, "work": []}).status_code == 201
    r = post(api, V1)
    assert r.status_code == 201, r.json()
    assert r["X-Quota-Remaining"] == "0"
    assert DailyUsage.objects.get().extractions == 3


def test_the_same_file_twice_gives_two_finished_jobs(api):
    assert post(api, V1).status_code == 201
    assert post(api, V1).status_code == 201
    assert ExtractionJob.objects.filter(state=JobState.SUCCEEDED).count() == 2


def test_a_json_file_without_an_extension_is_known_by_its_bytes(api, tmp_path):
    path = tmp_path / "resume"
    path.write_bytes(b"\xef\xbb\xbf  " + json.dumps(V1).encode())
    assert readers.sniff(path, "resume") == "json"
    path.write_bytes(b"Jane Example\n{curly} notes\n")
    assert readers.sniff(path, "cv") == "txt"
    assert post(api, V1, name="resume").status_code == 201


def test_a_json_object_in_a_txt_file_stays_a_text_cv(api):
    r = post(api, V1, name="cv.txt")
    assert r.status_code == 202 and r.json()["status"] == "queued"


# --- Refused --------------------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"basics": {"name": "A"}, "x": ' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001

BAD = [
    ("not json", b"Jane Example\nwork: Pied Piper\n", "resume.json", 400, "invalid_json"),
    ("truncated", json.dumps(V1).encode()[:-40], "resume.json", 400, "invalid_json"),
    ("NaN", b'{"basics": {"name": "A"}, "x": NaN}', "resume.json", 400, "invalid_json"),
    ("a list", b'[{"basics": {"name": "A"}}]', "resume.json", 400, "json_not_object"),
    ("a string", b'"resume"', "resume.json", 400, "json_not_object"),
    ("deep list", DEEP, "resume.json", 400, "json_too_deep"),
    ("deep object", DEEP_OBJECT, "resume.json", 400, "json_too_deep"),
    ("binary", b"\x00\x01" * 100, "resume.json", 415, "unsupported_type"),
    ("pdf named json", b"%PDF-1.7\n" + b"x" * 100, "resume.json", 415, "type_mismatch"),
    ("no name", b'{"basics": {"email": "a@example.com"}}', "resume.json", 400, "name_required"),
    ("empty object", b"{}", "resume.json", 400, "name_required"),
]


@pytest.mark.parametrize("label,data,name,status,code", BAD, ids=[b[0] for b in BAD])
def test_the_api_refuses_bad_json_clearly_and_keeps_nothing(api, label, data, name, status, code):
    r = post(api, data, name)
    body = r.json()
    assert r.status_code == status, body
    assert body["error"] == code
    assert body["message"] and "Traceback" not in body["message"]
    assert Document.objects.count() == 0 and ExtractionJob.objects.count() == 0
    assert leftovers() == []


@pytest.mark.parametrize("label,data,name,status,code", BAD, ids=[b[0] for b in BAD])
def test_the_page_refuses_bad_json_with_a_message(client, label, data, name, status, code):
    r = client.post("/", {"file": as_file(data, name)})
    assert r.status_code == status
    assert b"We could not take this file" in r.content
    assert Document.objects.count() == 0
    assert leftovers() == []


def test_a_schema_violation_names_the_path_of_the_first_error(api, client):
    doc = {
        "basics": {"name": "Jane"},
        "work": [{"name": "Pied Piper", "startDate": "March 2020"}, {"endDate": "soon"}],
    }
    r = post(api, doc)
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "invalid_resume"
    assert "work[0].startDate" in body["message"]
    assert "YYYY-MM-DD" in body["message"] and "(and 1 more)" in body["message"]
    page = client.post("/", {"file": as_file(doc)}).content.decode()
    assert "work[0].startDate" in page
    assert Document.objects.count() == 0 and leftovers() == []


def test_a_wrong_type_is_a_schema_violation_an_unknown_section_is_kept(api):
    r = post(api, {"basics": {"name": "Jane"}, "work": {"name": "Pied Piper"}})
    assert r.status_code == 400 and r.json()["error"] == "invalid_resume"
    assert "at work:" in r.json()["message"]
    # Schema 1.3.x allows sections of other tools: they are the person's data.
    r = post(api, {"basics": {"name": "Jane"}, "x-hobbys": [{"name": "chess"}]})
    assert r.status_code == 201, r.json()
    assert r.json()["result"]["x-hobbys"] == [{"name": "chess"}]
    r = post(api, {"basics": {"name": "Jane", "x-pronouns": 7}, "meta": {"canonical": 5}})
    assert r.status_code == 400 and "meta.canonical" in r.json()["message"]


def test_a_10_mb_json_is_refused_by_its_size_before_it_is_parsed(api, client, monkeypatch):
    from extraction.readers import jsonresume

    def never(*args, **kwargs):
        raise AssertionError("a file over the limit was parsed")

    monkeypatch.setattr(
        jsonresume, "json", SimpleNamespace(loads=never, JSONDecodeError=json.JSONDecodeError)
    )
    padding = "x" * (10 * 1000 * 1000)
    data = json.dumps({"basics": {"name": "Jane", "summary": padding}}).encode()
    r = post(api, data)
    assert r.status_code == 413 and r.json()["error"] == "file_too_large"
    assert "JSON Resume can be at most 1.0 MB" in r.json()["message"]
    r = client.post("/", {"file": as_file(data)})
    assert r.status_code == 413 and b"at most 1.0 MB" in r.content
    assert Document.objects.count() == 0 and leftovers() == []


def test_the_json_limits_are_settings(api, settings):
    settings.EXTRACTION_MAX_JSON_BYTES = 100
    r = post(api, V1)
    assert r.status_code == 413 and r.json()["error"] == "file_too_large"
    settings.EXTRACTION_MAX_JSON_BYTES = 1024 * 1024
    settings.EXTRACTION_MAX_JSON_DEPTH = 2
    r = post(api, V1)
    assert r.status_code == 400 and r.json()["error"] == "json_too_deep"


def test_the_depth_count_skips_brackets_inside_strings():
    assert not too_deep('{"a": "[[[[[[[[[[", "b": "\\"[[[[[[[["}', 2)
    assert too_deep('{"a": [[{"b": 1}]]}', 3)
    assert not too_deep('{"a": [[{"b": 1}]]}', 4)


def test_staff_re_extraction_leaves_a_json_resume_alone(api):
    from extraction import batches

    assert post(api, V1).status_code == 201
    out = batches.reextract([Document.objects.get()])
    assert out.queued == 0 and out.already_current == 1
    assert ExtractionJob.objects.count() == 1


def test_the_batch_call_takes_a_json_resume_beside_a_cv(api):
    files = [as_file(V1), SimpleUploadedFile("cv.txt", b"Jane Example\njane@example.com\n")]
    r = api.post(f"{URL}/batch", {"files": files}, format="multipart")
    assert r.status_code == 202, r.json()
    first, second = r.json()["jobs"]
    assert first["status"] == "succeeded" and first["result"]["basics"]["name"]
    assert second["status"] == "queued"
    bad = api.post(f"{URL}/batch", {"files": [as_file(b"{oops")]}, format="multipart")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_json"
