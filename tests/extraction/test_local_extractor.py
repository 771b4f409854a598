"""The local (rule-based) extractor: one family of rules at a time, then every sample."""

from __future__ import annotations

import time

import pytest

from extraction import resume
from extraction.extractors import get_extractor
from extraction.extractors.local import LocalExtractor, extract_raw
from extraction.extractors.local_rules import contacts
from extraction.extractors.local_rules.dates import find_range
from extraction.extractors.local_rules.headings import heading
from tests.conftest import SAMPLES, each_sample


def run(text: str) -> dict:
    out = LocalExtractor().extract(text, deadline=time.monotonic() + 10)
    assert out.extractor == "local"
    resume.validate(out.resume)
    return out.resume


def test_registry_and_fingerprint():
    ex = get_extractor("local")
    assert ex.name == "local"
    assert ex.fingerprint() == LocalExtractor().fingerprint()
    assert len(ex.fingerprint()) == 32


# --------------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    ("line", "start", "end", "present"),
    [
        ("Jan 2020 - Mar 2021", "2020-01", "2021-03", False),
        ("01/2020 – 03/2021", "2020-01", "2021-03", False),
        ("2020-01 — 2021-03", "2020-01", "2021-03", False),
        ("January 2020 – Present", "2020-01", None, True),
        ("2019 – heute", "2019", None, True),
        ("depuis 2018", "2018", None, True),
        ("seit März 2019", "2019-03", None, True),
        ("2008 — 2014", "2008", "2014", False),
        ("2019-09-01 TO  P R E S E N T", "2019-09-01", None, True),
        ("Nov, 2021 - Present", "2021-11", None, True),
        ("enero de 2019 a marzo de 2020", "2019-01", "2020-03", False),
        ("2020年3月 - 至今", "2020-03", None, True),
        ("Jul 2025 - CurrentSenior Engineer at Acme", "2025-07", None, True),
        ("Acme 2025-07 —", "2025-07", None, True),
        ("2015", "2015", None, False),
    ],
)
def test_date_ranges(line, start, end, present):
    r = find_range(line)
    assert r is not None
    assert (r.start, r.end, r.present) == (start, end, present)


@pytest.mark.parametrize("line", ["serving 16 million users in 2022", "+49 160 205 0792", "v1.2"])
def test_not_dates(line):
    assert find_range(line) is None


# --------------------------------------------------------------------------- headings
@pytest.mark.parametrize(
    ("line", "section"),
    [
        ("Work Experience", "work"),
        ("W ORK  E XPERIENCE", "work"),
        ("Berufserfahrung", "work"),
        ("Expérience professionnelle", "work"),
        ("Experiencia laboral", "work"),
        ("Experiência profissional", "work"),
        ("Esperienza lavorativa", "work"),
        ("Werkervaring", "work"),
        ("Doświadczenie zawodowe", "work"),
        ("Опыт работы", "work"),
        ("工作经历", "work"),
        ("職務経歴", "work"),
        ("Education", "education"),
        ("Ausbildung", "education"),
        ("Formación", "education"),
        ("Образование", "education"),
        ("教育经历", "education"),
        ("学歴", "education"),
        ("Skills", "skills"),
        ("Compétences", "skills"),
        ("Kenntnisse:", "skills"),
        ("Languages", "languages"),
        ("Sprachen", "languages"),
        ("Idiomas", "languages"),
    ],
)
def test_headings(line, section):
    assert heading(line) == (section, "")


def test_heading_with_content_on_the_same_line():
    assert heading("Education Northfield University") == ("education", "Northfield University")
    assert heading("Work with many teams on things.") is None


# --------------------------------------------------------------------------- contacts
def test_contacts_block():
    doc = run(
        "Jane Q. Doe\n"
        "Backend Engineer\n"
        "Lisbon, Portugal\n"
        "jane.doe@example.org · +351 912 345 678\n"
        "github.com/janedoe · https://www.linkedin.com/in/jane-doe/ · janedoe.dev\n"
        "@janedoe (Twitter)\n"
    )
    b = doc["basics"]
    assert b["name"] == "Jane Q. Doe"
    assert b["label"] == "Backend Engineer"
    assert b["email"] == "jane.doe@example.org"
    assert b["phone"] == "+351 912 345 678"
    assert b["location"] == {"city": "Lisbon", "countryCode": "PT"}
    assert b["url"] == "https://janedoe.dev"
    nets = {p["network"]: p for p in b["profiles"]}
    assert nets["GitHub"]["url"] == "https://github.com/janedoe"
    assert nets["GitHub"]["username"] == "janedoe"
    assert nets["LinkedIn"]["username"] == "jane-doe"
    assert nets["Twitter"]["url"] == "https://twitter.com/janedoe"


@pytest.mark.parametrize(
    "line", ["(+49) 157-30404362", "+1 (415) 555-0100", "0044 20 7946 0958", "+33677437829"]
)
def test_international_phones(line):
    assert contacts.find_phone([f"Phone {line}"]) == line


def test_dates_are_not_phones():
    assert contacts.find_phone(["2019-04-08 - 2022-08-29"]) is None


def test_profile_written_as_user_and_network():
    profs = contacts.find_handle_profiles(["someone-123 (LinkedIn)", "octo (GitHub)"])
    assert profs[0]["url"] == "https://www.linkedin.com/in/someone-123"
    assert profs[1] == {"network": "GitHub", "username": "octo", "url": "https://github.com/octo"}


# --------------------------------------------------------------------------- work
def test_work_block_title_company_dates():
    doc = run(
        "Sam Example\n"
        "Experience\n"
        "Senior Software Engineer\n"
        "Example Systems GmbH\n"
        "Jan 2020 – Present\n"
        "Berlin\n"
        "Built things that mattered to many people every day.\n"
        "Software Engineer\n"
        "Other Labs Inc.\n"
        "03/2016 - 12/2019\n"
        "Wrote code.\n"
    )
    work = doc["work"]
    assert len(work) == 2
    assert work[0]["position"] == "Senior Software Engineer"
    assert work[0]["name"] == "Example Systems GmbH"
    assert work[0]["startDate"] == "2020-01"
    assert "endDate" not in work[0]
    assert work[1] == {
        "name": "Other Labs Inc.",
        "position": "Software Engineer",
        "startDate": "2016-03",
        "endDate": "2019-12",
        "highlights": ["Wrote code."],
    }


def test_work_line_with_at():
    doc = run("Berufserfahrung\n2019 – heute Entwickler bei Beispiel AG\nDinge gebaut.\n")
    assert doc["work"][0]["position"] == "Entwickler"
    assert doc["work"][0]["name"] == "Beispiel AG"
    assert doc["work"][0]["startDate"] == "2019"
    assert "endDate" not in doc["work"][0]


# --------------------------------------------------------------------------- education
def test_education_block():
    doc = run(
        "Education\n"
        "Technical University of Somewhere\n"
        "Master of Science in Computer Science\n"
        "Oct 2012 – Sep 2014\n"
        "Formation\n"
        "2008 - 2011\n"
        "Université Exemple\n"
        "Licence: Mathématiques\n"
    )
    edu = doc["education"]
    assert edu[0]["institution"] == "Technical University of Somewhere"
    assert edu[0]["studyType"] == "Master of Science"
    assert edu[0]["area"] == "Computer Science"
    assert (edu[0]["startDate"], edu[0]["endDate"]) == ("2012-10", "2014-09")
    assert edu[1]["institution"] == "Université Exemple"
    assert edu[1]["studyType"] == "Licence"
    assert edu[1]["area"] == "Mathématiques"


# --------------------------------------------------------------------------- skills, languages
def test_skills_and_languages():
    doc = run(
        "Skills\n"
        "Programming: Python, Go, C++\n"
        "Cloud · AWS · Kubernetes\n"
        "Sprachen\n"
        "Deutsch Muttersprache\n"
        "English\n"
        "Fluent\n"
    )
    names = {s.get("name"): s.get("keywords") for s in doc["skills"]}
    assert names["Programming"] == ["Python", "Go", "C++"]
    assert ["Cloud", "AWS", "Kubernetes"] in names.values() or any(
        "AWS" in (k or []) for k in names.values()
    )
    assert doc["languages"] == [
        {"language": "Deutsch", "fluency": "Muttersprache"},
        {"language": "English", "fluency": "Fluent"},
    ]


@pytest.mark.parametrize("text", ["", "\x00\x01", "a", "2020", "x" * 200_000, "\n" * 1000])
def test_odd_inputs_give_valid_documents(text):
    run(text)


def test_no_network_or_model_needed():
    raw = extract_raw("Alex Example\nalex@example.com\n")
    assert raw["basics"]["email"] == "alex@example.com"


# --------------------------------------------------------------------------- samples
def _samples():
    if not (SAMPLES / "manifest.csv").exists():
        return []
    import csv

    with open(SAMPLES / "manifest.csv", newline="", encoding="utf-8") as fh:
        return [row["file"] for row in csv.DictReader(fh)]


@pytest.mark.parametrize("name", each_sample(_samples()))
def test_every_sample_gives_a_schema_valid_document(name):
    from extraction.readers import read_document

    path = SAMPLES / name
    text = read_document(path, path.suffix.lstrip(".").lower()).text
    doc = run(text)
    assert doc.get("basics", {}).get("email")
