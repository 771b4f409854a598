"""Local extractor rules that read one section as a whole: a section prints
every entry the same way, and a line may open with its section's own word.
People, schools and places are invented."""

from __future__ import annotations

from extraction.extractors.local import extract_raw
from extraction.extractors.local_rules.scores import header_like
from tests.extraction.test_local_rules_title_lines import _schools

HEAD = "Jane Quill\njane@example.org\n\n"


def _titles(text: str) -> list[tuple]:
    """(employer, title) of each job read from `text`."""
    return [(j.get("name"), j.get("position")) for j in extract_raw(text)["work"]]


def test_a_school_stands_where_the_sections_other_schools_stand():
    # Degree and field first, the school on the line of the dates: where the
    # school's name has no school's word, the other entries say which line
    # it is.
    text = HEAD + (
        "Education\n---------\n\n"
        "BSc in Information Systems\nNorthfield University, Jan 2011 – Dec 2014\n\n"
        "Course Introduction to Statistics\nGadget Online, Feb 2023 – Dec 2023\n\n"
        "Technical Course, Information Systems\nZELTRAX, Jan 2009 – Dec 2010\n"
    )
    got = _schools(extract_raw(text))
    assert got[0] == ("Northfield University", "BSc", "Information Systems", "2011-01")
    assert got[1][0] == "Gadget Online" and got[1][3] == "2023-02"
    assert "Statistics" in (got[1][2] or "")
    assert got[2][0] == "ZELTRAX"


def test_no_sure_school_leaves_each_entry_as_it_was_read():
    # Entries of three parts with the school in the middle: the sure entry
    # of two parts says nothing of them. (Its degree names its field: a bare
    # "BSc" would take the next line as its field, as a narrow column prints it.)
    text = HEAD + (
        "Education\n\n"
        "Northfield University\n2011 - 2014\nBSc Computing\n\n"
        "Information Systems\nZELTRAX\n2009 - 2010\nTechnical Course\n"
    )
    alone = HEAD + "Education\n\nInformation Systems\nZELTRAX\n2009 - 2010\nTechnical Course\n"
    got = _schools(extract_raw(text))
    assert got[0][0] == "Northfield University"
    assert got[1] == _schools(extract_raw(alone))[0]


def test_a_line_opening_with_its_sections_word_is_no_heading():
    text = HEAD + (
        "Education\n\n"
        "BSc in Information Systems\nNorthfield University, Jan 2011 – Dec 2014\n\n"
        "Training Course in Computer Programming\nZELTRAX, Aug 2009 – Jul 2010\n"
        "Skills\nPython\n"
    )
    got = _schools(extract_raw(text))
    assert got[1][0] == "ZELTRAX" and got[1][3] == "2009-08"
    assert " ".join(x for x in got[1][1:3] if x).startswith("Training Course")


def test_a_heading_in_capitals_before_its_text_is_no_title_line():
    assert header_like("Training Course in Computer Programming")
    assert header_like("TRAINING COURSE COMPUTER PROGRAMMING")
    assert not header_like("SUMMARY Engineer with ten years of building widgets")
    assert not header_like("Technologies: PHP, Ruby, Redis")
    assert not header_like("Education")


def test_a_lone_date_in_a_run_of_its_own_dates_an_entry():
    # "Course in Statistics <wide gap> May 2012": the layout sets the date
    # apart, as it does the ranges of the other entries.
    text = HEAD + (
        "Education\n"
        "Certification, Cloud Fundamentals   May 2022\nGizmo Labs\n"
        "BSc in Computer Engineering   Aug 2007 – Mar 2012\nNorthfield University\n"
        "Skills\nPython\n"
    )
    got = _schools(extract_raw(text))
    assert got[0][0] == "Gizmo Labs" and got[0][3] == "2022-05"
    assert got[1] == ("Northfield University", "BSc", "Computer Engineering", "2007-08")


def test_a_degree_en_its_field_is_no_title_at_an_employer():
    text = HEAD + (
        "Formación académica\n"
        "Bachelor en Doble grado de Ingeniería Informática   ene 2023\n"
        "Universidad de Villarriba\n"
        "Conocimientos\nPython\n"
    )
    got = _schools(extract_raw(text))
    assert got[0][0] == "Universidad de Villarriba"
    assert got[0][1] == "Bachelor"
    # its one date, the section's only one, is when it ended (test_local_rules_lone_dates)
    assert extract_raw(text)["education"][0].get("endDate") == "2023-01"


def test_a_second_school_under_the_dates_is_the_next_entrys():
    # School, degree, dates; the next school follows right under the dates.
    text = HEAD + (
        "Education\n"
        "Gizmo Academy\nFull-Stack Web Development\nOct 2019 – Feb 2020\n"
        "Northfield State University\nMaster's degree in Psychology\nSep 2000 – Sep 2006\n"
        "Skills\nPython\n"
    )
    got = _schools(extract_raw(text))
    assert [g[0] for g in got] == ["Gizmo Academy", "Northfield State University"]
    assert got[1][3] == "2000-09"


def test_a_faculty_under_a_school_on_the_line_of_the_dates_is_the_entrys():
    text = HEAD + (
        "Education\n"
        "Northfield University   2012-09-01 — 2016-06-01\n"
        "School of Electronic Engineering\nBachelor\n"
        "Skills\nPython\n"
    )
    got = _schools(extract_raw(text))
    assert len(got) == 1 and got[0][0] == "Northfield University"


def test_a_range_wrapped_before_present_in_a_date_column():
    from extraction.extractors.local_rules.text import prepare_layout_gaps

    lines = prepare_layout_gaps("Experience\nJun 2016 –\nPresent\nLead Designer\nAcme\n")[0]
    assert lines[1] == "Jun 2016 – Present"
    lines = prepare_layout_gaps("Desde ene 2016 –\nActualidad\n")[0]
    assert lines == ["Desde ene 2016 – Actualidad"]
    # a word after an open dash that says no "present" stays its own line
    assert prepare_layout_gaps("Jun 2016 –\nAcme\n")[0] == ["Jun 2016 –", "Acme"]


def test_a_title_the_line_model_is_sure_of_is_no_heading_with_its_text():
    from extraction.extractors.learned import context as learned
    from extraction.extractors.learned.model import load_model
    from tests.extraction.test_line_model import LINE, _row, tiny_model

    text = HEAD + (
        "Experience\n"
        "Sep 2015 – Jun 2016\nVice President - Widgets\nGizmo Labs\n"
        "Apr 2004 – Apr 2005\nProject Leader – Design Solutions\nAcme Works\n"
        "Nov 2002 – Apr 2004\nFreelance Designer\nWidget Studio\n"
    )
    sure = tiny_model({"sq=projectleaderdesignsolutions": _row(LINE, "position", 20.0)})
    with learned.using(load_model(sure)):
        jobs = _titles(text)
    assert ("Acme Works", "Project Leader – Design Solutions") in jobs
    assert ("Widget Studio", "Freelance Designer") in jobs


def test_a_heading_in_capitals_takes_a_long_text_beside_it():
    text = HEAD + (
        "SKILLS  Software Development (Senior): Go, PHP, HTML/CSS, JavaScript, React, "
        "React Native, TypeScript\n"
    )
    doc = extract_raw(text)
    assert doc.get("skills")


def test_a_title_right_above_a_sections_first_dates_is_not_the_summarys_end():
    text = (
        "Jane Quill, Developer\njane@example.org\n"
        "SUMMARY  Técnico Superior en Desarrollo de Aplicaciones, apasionado del desarrollo\n"
        "EXPERIENCE  Dec 2023\nGizmo Bowling | Monitor\nAtención al Cliente\n"
        "Acme | Cocinero\nSep 2023 — Dec 2023\n"
    )
    jobs = _titles(text)
    assert "Técnico" not in str(jobs)


def test_a_place_at_the_end_of_a_comma_cut_header_is_no_employer():
    text = HEAD + (
        "Employment\n"
        "01.2015 - 12.2017\nGizmoCorp, Architect, Dallas, TX\nDesigned widgets.\n"
        "01.2012 - 12.2014\nAcme Widgets, Senior Engineer, Stockholm, Sweden\nBuilt widgets.\n"
    )
    jobs = _titles(text)
    assert len(jobs) == 2 and "Acme Widgets" in str(jobs[1])
    assert "Dallas" not in str(jobs) and "Sweden" not in str(jobs)
