"""A document that prints a section's dates as years only is scored against
the person's truth with that section's dates cut to their years
(tools/cvcorpus).

The scorer compares a truth date that has a month at the month: against the
person's own truth, a perfect reading of a theme that prints "2019 - 2021"
scored its dates wrong, and visibility.json has no key to say "printed as a
year"."""

from __future__ import annotations

import csv
import json

from tools.cvcorpus import common
from tools.cvcorpus.common import years_only, years_only_sections, years_truth_id

TRUTH = {
    "basics": {"name": "Ada Example"},
    "work": [{"name": "Acme", "startDate": "2019-03-01", "endDate": "2021-06"}],
    "education": [{"institution": "Uni", "startDate": "2012-09", "endDate": "2016-07-15"}],
}


def test_years_alone_are_years_only():
    text = "Ada Example\nAcme\n2019 - 2021\nUni\n2012 - 2016"
    assert years_only_sections(TRUTH, text) == ["work", "education"]


def test_each_section_is_judged_on_its_own():
    # A theme that prints a job's months and a school's years.
    text = "Acme\nMar 2019 - Jun 2021\nUni\n2012 - 2016"
    assert years_only_sections(TRUTH, text) == ["education"]


def test_months_printed_in_any_usual_form_are_months():
    for dates in (
        "Mar 2019 - Jun 2021",
        "March, 2019 – present",
        "03/2019 - 06/2021",
        "01/03/2019",
        "3.2019",
        "2019-03 – 2021-06",
        "2019-Mar - 2021-Jun",
        "Mar-2019",
        "marzo de 2019",
        "März 2019",
        "Jun '21",
    ):
        text = f"Acme\n{dates} 2019 2021\nUni\n2012 - 2016"
        assert "work" not in years_only_sections(TRUTH, text), dates


def test_a_month_printed_a_letter_a_line_is_a_month():
    # Some PDFs' text layers hold one letter per line.
    text = "Acme\n" + "\n".join("03/2019 - 06/2021") + "\nUni 2012 2016"
    assert "work" not in years_only_sections(TRUTH, text)


def test_a_section_whose_dates_are_not_all_printed_is_not_years_only():
    # A theme that leaves the school's dates out prints some of those years
    # elsewhere (a job's dates), not every one of them.
    text = "Acme\nMar 2019 - Jun 2016\nUni"
    assert years_only_sections(TRUTH, text) == []
    # Nothing with a month to print.
    assert years_only_sections({"work": [{"startDate": "2019"}]}, "Acme 2019") == []


def test_the_years_truth_cuts_the_dates_of_its_sections_only():
    out = years_only({**TRUTH, "awards": [{"date": "2020-01-01"}]}, ["education"])
    assert out["education"][0]["startDate"] == "2012"
    assert out["education"][0]["endDate"] == "2016"
    assert out["work"][0]["startDate"] == "2019-03-01"
    assert out["awards"] == [{"date": "2020-01-01"}]
    assert years_only(TRUTH)["work"][0] == {"name": "Acme", "startDate": "2019", "endDate": "2021"}
    assert TRUTH["education"][0]["startDate"] == "2012-09"  # a copy
    assert years_truth_id("c-001", []) == "c-001"
    assert years_truth_id("c-001", ["work", "education"]) == "c-001~years-education-work"


def test_merge_gives_a_years_only_document_the_truth_it_prints(tmp_path, monkeypatch):
    # merge copies the reference scorer from beside the repository.
    (tmp_path / "shared" / "cv-samples").mkdir(parents=True)
    (tmp_path / "shared" / "cv-samples" / "score.py").write_text("# the scorer\n")
    monkeypatch.setattr(common, "REPO", tmp_path / "repo")
    source = tmp_path / "source"
    (source / "people").mkdir(parents=True)
    (source / "people" / "c-001.json").write_text(json.dumps(TRUTH), encoding="utf-8")
    out = tmp_path / "corpus"
    (out / "parts").mkdir(parents=True)
    rows = [
        {"file": "c-001-a.pdf", "person_id": "c-001", "family": "a", "hidden": [], "years": []},
        {
            "file": "c-001-b.pdf",
            "person_id": "c-001",
            "family": "b",
            "hidden": [],
            "years": ["education"],
        },
    ]
    for r in rows:
        (out / r["file"]).write_bytes(b"%PDF")
    (out / "parts" / "x.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    assert common.merge(out, source) == 2
    with open(out / "manifest.csv", newline="", encoding="utf-8") as fh:
        manifest = {r["file"]: r for r in csv.DictReader(fh)}
    assert manifest["c-001-a.pdf"]["person_id"] == "c-001"
    assert manifest["c-001-b.pdf"]["person_id"] == "c-001~years-education"
    assert {r["person"] for r in manifest.values()} == {"c-001"}
    assert json.loads((out / "c-001.json").read_text()) == TRUTH
    assert (out / "score.py").read_text() == "# the scorer\n"
    years = json.loads((out / "c-001~years-education.json").read_text())
    assert years["education"][0]["endDate"] == "2016"
    assert years["work"] == TRUTH["work"]
