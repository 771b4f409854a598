"""Schools printed with one date each: the date is when each ended (the
graduation a CV shows), not when it began. Among schools printed with
ranges, a lone date stays the start (one still going, or a range the layout
broke). A job's lone date stays its start. People, employers and schools are
invented."""

from __future__ import annotations

from extraction.extractors.local import extract_raw
from tests.extraction.test_local_rules_stacked import HEAD

SCHOOLS = (
    "EDUCATION\n"
    "Northfield Academy\nCertificate in Blockchain Development\nAug 2018\n"
    "Springfield College\nB.A. in Liberal Arts\nMay 2012\n"
)


def _dates(entries: list[dict]) -> list[tuple]:
    return [(e.get("startDate"), e.get("endDate")) for e in entries]


def test_a_schools_lone_date_is_its_end():
    schools = extract_raw(HEAD + SCHOOLS)["education"]
    assert [e.get("institution") for e in schools] == ["Northfield Academy", "Springfield College"]
    assert _dates(schools) == [(None, "2018-08"), (None, "2012-05")]


def test_a_schools_range_keeps_its_start_and_end():
    text = HEAD + SCHOOLS.replace("Aug 2018", "Jun 2018 - Aug 2018").replace(
        "May 2012", "2008 - 2012"
    )
    assert _dates(extract_raw(text)["education"]) == [("2018-06", "2018-08"), ("2008", "2012")]


def test_a_school_still_going_has_a_start_and_no_end():
    text = HEAD + SCHOOLS.replace("May 2012", "Sep 2021 - Present")
    assert _dates(extract_raw(text)["education"])[1] == ("2021-09", None)


def test_a_lone_date_among_ranges_stays_the_start():
    text = HEAD + SCHOOLS.replace("May 2012", "2008 - 2012")
    assert _dates(extract_raw(text)["education"]) == [("2018-08", None), ("2008", "2012")]


def test_a_jobs_lone_date_stays_its_start():
    text = HEAD + (
        "EXPERIENCE\n"
        "Product Manager\nNorthwind Widgets\nMar 2019\n"
        "I lead the team that builds the widget platform for all of our stores.\n"
    )
    jobs = extract_raw(text)["work"]
    assert _dates(jobs) == [("2019-03", None)]
