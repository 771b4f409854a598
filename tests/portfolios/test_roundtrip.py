"""JSON Resume round-trips (issue 16, point 2): a document that uses every
section, `$schema`, `meta` and extension fields, uploaded, published and
downloaded again, is what was sent, modulo the normalisation docs/json-resume.md
documents (the public copy holds what the page shows)."""

from __future__ import annotations

import copy
import json
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from extraction.resume import validate

pytestmark = pytest.mark.django_db

EVERY_SECTION = {
    "$schema": "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json",
    "basics": {
        "name": "Ada Example",
        "label": "Engineer",
        "image": "https://example.com/ada.jpg",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0000",
        "url": "https://ada.example.com",
        "summary": "Builds engines.\n\nAnd notes on them.",
        "location": {
            "address": "12 Hidden Lane",
            "postalCode": "ZZ9 9ZZ",
            "city": "London",
            "countryCode": "GB",
            "region": "England",
            "x-district": "Camden",
        },
        "profiles": [
            {
                "network": "GitHub",
                "username": "ada",
                "url": "https://github.com/ada",
                "x-main": True,
            }
        ],
        "x-pronouns": "she/her",
    },
    "work": [
        {
            "name": "Engines Ltd",
            "location": "London",
            "description": "A maker of engines",
            "position": "Lead",
            "url": "https://engines.example.com",
            "startDate": "2019-03-14",
            "endDate": "2023-01",
            "summary": "Led the analytical engine team.",
            "highlights": ["Shipped the mill", "Wrote the notes"],
            "x-team": {"size": 4, "remote": False},
        }
    ],
    "volunteer": [
        {
            "organization": "Code Club",
            "position": "Mentor",
            "url": "https://codeclub.example.org",
            "startDate": "2018",
            "endDate": "2020",
            "summary": "Taught children to code.",
            "highlights": ["Ran 40 sessions"],
        }
    ],
    "education": [
        {
            "institution": "University of London",
            "url": "https://london.example.ac.uk",
            "area": "Mathematics",
            "studyType": "BSc",
            "startDate": "2010-09",
            "endDate": "2013-06",
            "score": "First",
            "courses": ["Analysis", "Algebra"],
        }
    ],
    "awards": [
        {
            "title": "Engine prize",
            "date": "2021-05",
            "awarder": "Royal Society",
            "summary": "For the mill.",
        }
    ],
    "certificates": [
        {
            "name": "Safety",
            "date": "2020-02",
            "issuer": "HSE",
            "url": "https://hse.example.gov/cert",
        }
    ],
    "publications": [
        {
            "name": "Notes",
            "publisher": "Taylor",
            "releaseDate": "1843",
            "url": "https://notes.example.com",
            "summary": "Notes on the engine.",
        }
    ],
    "skills": [{"name": "Engines", "level": "Master", "keywords": ["mills", "cards"]}],
    "languages": [{"language": "English", "fluency": "Native"}],
    "interests": [{"name": "Poetry", "keywords": ["Byron"]}],
    "references": [{"name": "C. Babbage", "reference": "Brilliant."}],
    "projects": [
        {
            "name": "Analytical engine",
            "description": "A general-purpose computer.",
            "highlights": ["First program"],
            "keywords": ["computing"],
            "startDate": "2020-01",
            "endDate": "2021-12",
            "url": "https://engine.example.com",
            "roles": ["Programmer"],
            "entity": "Engines Ltd",
            "type": "application",
        },
        {"name": "Side project", "roles": ["Author"], "type": "volunteering"},
    ],
    "meta": {
        "canonical": "https://ada.example.com/resume.json",
        "version": "v1.0.0",
        "lastModified": "2024-01-01T10:00:00",
        "x-tool": {"name": "hand-written"},
    },
    "x-extra-section": [{"title": "Anything", "values": [1, 2.5, None, "x"]}],
}

# What the public copy leaves out of the document (docs/json-resume.md, "The
# public copy"): `$schema` and `meta`, the home address, the day of a date,
# references, what no page shows (a work description beside a summary, a project's roles beside its
# entity, basics.image, projects.type) and the extension fields.
PUBLIC_OMITS = {
    "$schema",
    "meta",
    "basics.location.address",
    "basics.location.postalCode",
    "basics.location.x-district",
    "basics.profiles[0].x-main",
    "basics.image",
    "basics.x-pronouns",
    "work[0].description",
    "work[0].x-team",
    "projects[0].roles",
    "projects[0].type",
    "projects[1].type",
    "references",
    "x-extra-section",
}


def _without(doc: dict, paths: set[str]) -> dict:
    doc = copy.deepcopy(doc)
    for path in paths:
        parts = path.replace("[", ".").replace("]", "").split(".")
        target = doc
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[parts[-1]]
    return doc


def _expected_public() -> dict:
    doc = _without(EVERY_SECTION, PUBLIC_OMITS)
    doc["work"][0]["startDate"] = "2019-03"  # the page shows "Mar 2019"
    doc["basics"]["summary"] = "Builds engines.\nAnd notes on them."  # a paragraph a line
    return doc


def _upload_and_publish(api: APIClient, doc: dict) -> tuple[dict, dict]:
    data = json.dumps(doc).encode()
    upload = SimpleUploadedFile("resume.json", data, content_type="application/json")
    r = api.post("/api/v1/extractions", {"file": upload}, format="multipart")
    assert r.status_code == 201, r.json()
    job = r.json()
    p = api.post(
        "/api/v1/portfolios",
        {"extraction": job["id"], "theme": "classic"},
        format="json",
        HTTP_X_MANAGE_TOKEN=job["manage_token"],
    )
    assert p.status_code == 201, p.json()
    return job, p.json()


def test_the_every_section_document_is_valid_against_the_official_schema():
    validate(EVERY_SECTION)


def test_every_section_document_round_trips_through_upload_and_publish(api):
    job, portfolio = _upload_and_publish(api, EVERY_SECTION)
    assert job["result"] == EVERY_SECTION  # the extraction's result: as sent
    owner = APIClient()
    owner.credentials(HTTP_X_MANAGE_TOKEN=portfolio["manage_token"])
    r = owner.get(f"/api/v1/portfolios/{portfolio['id']}/download/resume.json")
    assert r.status_code == 200
    assert json.loads(r.content) == EVERY_SECTION  # the owner's copy: everything, as sent
    slug_path = urlsplit(portfolio["url"]).path
    public = api.get(slug_path + "resume.json")
    assert public.status_code == 200
    assert json.loads(public.content) == _expected_public()
    # The person is told which fields stay out of the page and its public copy.
    notes = " ".join(portfolio["notices"])
    assert "basics.x-pronouns" in notes and "x-extra-section" in notes


def test_the_owner_copy_orders_keys_as_the_schema_lists_them(api):
    _, portfolio = _upload_and_publish(api, EVERY_SECTION)
    owner = APIClient()
    owner.credentials(HTTP_X_MANAGE_TOKEN=portfolio["manage_token"])
    text = owner.get(f"/api/v1/portfolios/{portfolio['id']}/download/resume.json").content
    keys = list(json.loads(text))
    assert keys[:2] == ["$schema", "basics"] and keys.index("meta") < keys.index("x-extra-section")


def test_both_copies_carry_location_and_profiles_for_third_party_themes(api):
    doc = {"basics": {"name": "Nora Short"}, "work": [{"name": "Acme", "position": "Dev"}]}
    job, portfolio = _upload_and_publish(api, doc)
    assert job["result"] == doc
    owner = APIClient()
    owner.credentials(HTTP_X_MANAGE_TOKEN=portfolio["manage_token"])
    full = json.loads(
        owner.get(f"/api/v1/portfolios/{portfolio['id']}/download/resume.json").content
    )
    public = json.loads(api.get(urlsplit(portfolio["url"]).path + "resume.json").content)
    expected = {
        "basics": {"name": "Nora Short", "location": {}, "profiles": []},
        "work": doc["work"],
    }
    assert full == expected and public == expected
    validate(public)
