"""Local extractor rules for entries printed as a stack of short lines: the
employer's web address between its name and the dates, and a date range
printed as a column of two dates. People, employers and schools are invented."""

from __future__ import annotations

from extraction.extractors.local import extract_raw
from extraction.extractors.local_rules.text import _stacked_dates, prepare_layout_gaps

HEAD = "Jane Quill\njane@example.org\n\n"


def _jobs(text: str) -> list[tuple]:
    return [
        (j.get("name"), j.get("position"), j.get("startDate"), j.get("endDate"))
        for j in extract_raw(text)["work"]
    ]


def test_the_employers_web_address_between_its_name_and_the_dates_is_skipped():
    text = HEAD + (
        "Work Experience\n"
        "Northwind Widgets\nhttp://northwind-widgets.example\nMarch 2019 – Present\n"
        "Senior Engineer\nI lead the team that builds the widget platform for all stores.\n"
        "Quillfeather Partners\n https://www.quillfeather.example/about/where-the-\n"
        "money-is.html#.WckfbbK\nJuly 2014 – February 2019\nAnalyst\n"
        "I looked after the accounts of the partnership's largest clients.\n"
    )
    jobs = _jobs(text)
    assert jobs[0] == ("Northwind Widgets", "Senior Engineer", "2019-03", None)
    assert jobs[1] == ("Quillfeather Partners", "Analyst", "2014-07", "2019-02")
    # neither the address nor the next employer ends up in a job's text
    body = " ".join(h for j in extract_raw(text)["work"] for h in j.get("highlights", []))
    assert "Quillfeather" not in body and "http" not in body


def test_a_bare_domain_above_the_dates_may_be_the_employers_name():
    text = HEAD + (
        "Experience\nWidgetry.io\nMarch 2019 – Present\nSenior Engineer\n"
        "I lead the team that builds the widget platform.\n"
    )
    assert _jobs(text)[0][:2] == ("Widgetry.io", "Senior Engineer")


def test_two_dates_each_on_a_line_of_its_own_are_one_range():
    assert _stacked_dates("2012", "2015")
    assert _stacked_dates("2018", "2018")
    assert _stacked_dates("June 2016", "March 2019")
    assert _stacked_dates("06/2016", "Present")
    # a column of single dates, one per entry, runs from the latest down
    assert not _stacked_dates("2015", "2012")
    # a word before the year that is no month: no date
    assert not _stacked_dates("Since 2012", "2015")
    assert not _stacked_dates("2012 –", "2015")  # an open range: another rule's
    lines = prepare_layout_gaps("Education\n2008\n2012\nNorthfield College\nB.A.\n")[0]
    assert lines[1] == "2008 – 2012"


def test_a_school_dated_by_a_column_of_two_years():
    text = HEAD + (
        "Education\n2016\n2016\nGadget Academy\nBootcamp\nSoftware Development\n"
        "2008\n2012\nNorthfield College\nB.A.\nLiberal Arts\n"
    )
    edu = extract_raw(text)["education"]
    assert [(e.get("institution"), e.get("startDate"), e.get("endDate")) for e in edu] == [
        ("Gadget Academy", "2016", "2016"),
        ("Northfield College", "2008", "2012"),
    ]


def test_a_heading_word_with_words_that_only_qualify_it_is_a_heading():
    from extraction.extractors.local_rules.headings import heading

    assert heading("PERSONAL SUMMARY") == ("summary", "")
    assert heading("Skills & Proficiency") == ("skills", "")
    assert heading("Areas of Expertise") == ("skills", "")
    assert heading("VOLUNTEER WORK") == ("volunteer", "")
    # two headings' words, neither qualifying the other; a word of anything else
    assert heading("Profil langues") is None
    assert heading("Senior Education Consultant") is None
    assert heading("C++ & Go") is None
    assert heading("Personal Summary of 2019") is None


def test_the_name_printed_after_the_main_column_is_found_in_the_side_column():
    # A two-column page read main column first: its first employer stands
    # among the top lines, the name wrapped onto two lines above the e-mail.
    text = (
        "PERSONAL SUMMARY\n"
        "I build payment systems for small shops and I have done so for ten years.\n"
        "WORK EXPERIENCE\n"
        "Senior Engineer  2019 - Present\nNorthwind Widgets\n"
        "I lead the team that builds the widget platform for all stores.\n"
        "SKILLS & PROFICIENCY\nPython\nPostgreSQL\n"
        "Jane\nQuillfeather\nSoftware Engineer\njane@example.org\n+44 20 7946 0958\n"
    )
    raw = extract_raw(text)
    assert raw["basics"]["name"] == "Jane Quillfeather"
    assert raw["basics"].get("summary", "").startswith("I build payment systems")
    assert raw["work"][0]["name"] == "Northwind Widgets"


def test_an_entry_whose_dates_close_it_takes_the_header_above_its_text():
    text = HEAD + (
        "Experience\n"
        "Northwind Widgets\nSenior Engineer\n"
        "I lead the team that builds the widget platform for all of the stores.\n"
        "2019-03-01 - Present\n"
        "Quillfeather Partners\nAnalyst\n"
        "I looked after the accounts of the partnership's largest clients.\n"
        "2014-07-01 - 2019-02-28\n"
    )
    raw = extract_raw(text)
    assert [(j.get("name"), j.get("position")) for j in raw["work"]] == [
        ("Northwind Widgets", "Senior Engineer"),
        ("Quillfeather Partners", "Analyst"),
    ]
    assert raw["work"][0]["highlights"] == [
        "I lead the team that builds the widget platform for all of the stores."
    ]
    assert raw["work"][1]["highlights"][0].startswith("I looked after")


def test_dates_first_entries_keep_the_header_under_their_dates():
    # The section opens with its dates: the text above the next dates is the
    # entry before's, and the lines under the dates are the header.
    text = HEAD + (
        "Experience\n"
        "2019-03-01 - Present\nSenior Engineer\nNorthwind Widgets\n"
        "I lead the team that builds the widget platform for all of the stores.\n"
        "2014-07-01 - 2019-02-28\nAnalyst\nQuillfeather Partners\n"
        "I looked after the accounts of the partnership's largest clients.\n"
    )
    jobs = {(j.get("name"), j.get("position")) for j in extract_raw(text)["work"]}
    assert jobs == {("Northwind Widgets", "Senior Engineer"), ("Quillfeather Partners", "Analyst")}
