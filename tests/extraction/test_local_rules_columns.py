"""Local extractor rules for layouts that print an entry's dates first, its
length under them, and its names in runs on one row; headings in capitals
without their accents. People, employers and schools are invented."""

from __future__ import annotations

from extraction.extractors.learned.labels import label_lines
from extraction.extractors.local import extract_raw
from extraction.extractors.local_rules.dates import is_duration
from extraction.extractors.local_rules.headings import heading
from tests.extraction.test_local_rules_stacked import HEAD, _jobs


def test_a_heading_in_capitals_without_its_accents_is_a_heading():
    assert heading("EXPERIENCES PROFESSIONNELLES") == ("work", "")
    assert heading("Expériences professionnelles") == ("work", "")
    assert heading("EDUCACION") == ("education", "")
    assert heading("EXPERIENCES ASSOCIATIVES") == ("volunteer", "")
    assert heading("INTERETS") == ("interests", "")
    # a word of no heading stays none, accents or not
    assert heading("ANECDOTES") is None and heading("ANECDOTÉS") is None


def test_a_length_of_time_is_a_duration_and_a_date_is_not():
    assert is_duration("8 ans 11 mois")
    assert is_duration("(2 yrs 3 mos)")
    assert is_duration("1 year")
    assert not is_duration("2 years of Python")
    assert not is_duration("Mar 2019 - Present")
    assert not is_duration("12 engineers")


def test_the_length_printed_under_the_dates_is_no_title():
    text = HEAD + (
        "EXPERIENCES PROFESSIONNELLES\n"
        "Déc. 2017 - Aujourd'hui\n8 ans 11 mois\nProduct Manager\nNorthwind Widgets\n"
        "I lead the team that builds the widget platform for all of our stores.\n"
        "Juil. 2014 - Déc. 2017\n3 ans 5 mois\nSoftware Developer\nQuillfeather Partners\n"
        "I built the tools the analysts use to look after the accounts.\n"
    )
    jobs = _jobs(text)
    assert [j[2:] for j in jobs] == [("2017-12", None), ("2014-07", "2017-12")]
    assert {j[1] for j in jobs} == {"Product Manager", "Software Developer"}
    assert not any("mois" in (j[0] or "") + (j[1] or "") for j in jobs)


def test_a_section_dated_first_keeps_each_schools_line_above_the_next_dates():
    text = HEAD + (
        "FORMATION\n"
        "Juin 2018 - Août 2018\nCertificat en Blockchain Development\nNorthfield Academy\n"
        "Juin 2016 - Août 2016\nBootcamp en Software Development\nLakeside Institute\n"
        "Mai 2008 - Mai 2012\nB.A. en Liberal Arts\nSpringfield College\n"
    )
    schools = [e.get("institution") for e in extract_raw(text)["education"]]
    assert schools == ["Northfield Academy", "Lakeside Institute", "Springfield College"]


def test_employer_and_title_printed_in_runs_on_one_row_are_two_names():
    text = HEAD + (
        "EMPLOYMENT\n"
        "Northwind Widgets  Technical Product Manager\nDec 2017 - Present\n"
        "I lead the team that builds the widget platform for all of our stores.\n"
        "Quillfeather Partners  Software Developer\nJul 2014 - Dec 2017\n"
        "I built the tools the analysts use to look after the accounts.\n"
    )
    assert [j[:2] for j in _jobs(text)] == [
        ("Northwind Widgets", "Technical Product Manager"),
        ("Quillfeather Partners", "Software Developer"),
    ]


def test_an_employers_line_with_the_jobs_place_beside_it_is_labelled_employer():
    truth = {
        "work": [
            {"name": "Northwind Widgets", "position": "Team Lead", "location": "Lowtown/Remote"},
        ]
    }
    lines = ["Team Lead", "Northwind Widgets  Lowtown/Remote", "Northwind Widgets  Upton"]
    assert label_lines(lines, truth) == ["position", "employer", "other"]


def test_degree_field_and_school_wrapped_in_a_narrow_column_are_one_phrase():
    text = HEAD + (
        "EDUCATION\n"
        "PhD in Information Retrieval •\nContext Awareness\n"
        "at Lakeside Institute - Institut des\nSciences de Lowtown\n"
        "Sep 2007 - Sep 2010\n"
        "Bachelor in Computer Engineering\nat Northfield Polytechnic State\nUniversity Upton\n"
        "Sep 2003 - Jun 2007\n"
        "Grade: 3.29\n"
    )
    got = [
        (e.get("studyType"), e.get("area"), e.get("institution"), e.get("startDate"))
        for e in extract_raw(text)["education"]
    ]
    assert got == [
        (
            "PhD",
            "Information Retrieval • Context Awareness",
            "Lakeside Institute - Institut des Sciences de Lowtown",
            "2007-09",
        ),
        (
            "Bachelor",
            "Computer Engineering",
            "Northfield Polytechnic State University Upton",
            "2003-09",
        ),
    ]


def test_separate_lines_above_the_dates_are_not_joined_into_one_phrase():
    from extraction.extractors.local_rules.line import Line
    from extraction.extractors.local_sections.headers import _wrapped_at_block

    lines = [
        Line(t, "education")
        for t in ("Northfield University", "Bachelor of Science", "Computer Science", "2010 - 2014")
    ]
    assert _wrapped_at_block(lines, -1, 3) is None


def test_a_name_printed_a_word_a_line_is_read_whole():
    text = "Jana\nQuill\nMorrow\njana@example.org\nEngineer in Lowtown.\n"
    assert extract_raw(text)["basics"]["name"] == "Jana Quill Morrow"
    # a word in capitals, then a word that is not: the name, then a skill
    text = "Jana\nQUILLMORROW\nFigma\njana@example.org\n"
    assert extract_raw(text)["basics"]["name"] == "Jana QUILLMORROW"


def test_a_name_wrapped_over_lines_is_labelled_name_on_each_line():
    truth = {"basics": {"name": "Adelis Jana Quillmorrow"}}
    lines = ["Adelis Jana", "Quillmorrow", "CONTACT", "Quillmorrow"]
    assert label_lines(lines, truth)[:2] == ["name", "name"]
    assert label_lines(lines, truth)[3] == "other"


def test_the_name_above_the_contacts_beats_a_side_columns_item_where_the_model_reads_a_name():
    from extraction.extractors.local_rules.basics import find_name
    from extraction.extractors.local_rules.line import Line

    def segs(p_name: float) -> list:
        rows = [
            ("React Native", "skills", {"skill": 0.9}),
            ("Google Cloud", "skills", {"skill": 0.9}),
            ("Jana Quill", "skills", {"name": p_name}),
            ("Lowtown, (FR)", "skills", {"contact": 0.9}),
            ("+33 6 12 34 56 78 jana@example.org", "skills", {"contact": 1.0}),
        ]
        return [Line(t, s, probs=p) for t, s, p in rows]

    assert find_name(segs(0.9)) == 2
    assert find_name(segs(0.1)) == 0  # the model does not read a name there: the first line


def _work_lines(rows: list[tuple[str, dict]]) -> list:
    from extraction.extractors.local_rules.dates import find_range
    from extraction.extractors.local_rules.line import Line

    out = []
    for text, probs in rows:
        ln = Line(text, "work", probs=probs)
        ln.range = find_range(text)
        out.append(ln)
    return out


def test_a_short_name_where_the_sections_template_has_a_title_line_is_taken():
    from extraction.extractors.local_sections.headers import _header_parts

    body = {"other": 0.95}  # the line model reads a line of text: a name it has not seen
    lines = _work_lines(
        [
            ("Mar 2014 - Nov 2015", {}),
            ("Senior Software Engineer", {"position": 1.0}),
            ("iRule", body),
            ("Managed client expectations while delivering software", body),
            ("Nov 2013 - Mar 2014", {}),
            ("Software Engineer", {"position": 1.0}),
            ("8.0", body),
        ]
    )
    # the section's first entry printed two title lines under its dates
    assert _header_parts(lines, -1, 0, 4, set(), (0, 2)) == (
        ["Senior Software Engineer", "iRule"],
        [1, 2],
    )
    # a grade is no name
    assert _header_parts(lines, 0, 4, 7, set(), (0, 2))[0] == ["Software Engineer"]
    # without the template, the model's reading stands
    assert _header_parts(lines, -1, 0, 4, set())[0] == ["Senior Software Engineer"]


def test_two_runs_are_an_employer_and_a_title_only_where_one_of_them_is_a_title():
    from extraction.extractors.local_sections.entries import _employer_and_title

    assert _employer_and_title("Budee", "Senior QA Engineer")
    assert _employer_and_title("Software Developer", "Quillfeather Partners")
    assert not _employer_and_title("Sentry", "Jaeger")  # neither
    assert not _employer_and_title("Native speaker", "Consultant")  # a language beside it
    assert not _employer_and_title("Software Engineering Intern", "EDUCATION")  # a heading
    assert not _employer_and_title("Data Engineer", "Mountain View, CA")  # a place
    assert not _employer_and_title("Widgetry", "//widgetry.example")  # an address


def test_a_degree_that_names_no_field_leaves_a_line_for_its_field_under_it():
    text = HEAD + (
        "Education\n"
        "Northfield State University\n2004 - 2011\nBachelor of Science\n"
        "Geographic Information Systems and Analytical Cartography\n"
        "Skills\nCartography, GIS\n"
    )
    got = [
        (e.get("institution"), e.get("studyType"), e.get("area"))
        for e in extract_raw(text)["education"]
    ]
    assert got == [
        (
            "Northfield State University",
            "Bachelor of Science",
            "Geographic Information Systems and Analytical Cartography",
        )
    ]


def test_a_grade_after_a_dash_is_no_part_of_the_degree():
    from extraction.extractors.local_sections.education import _education

    got = _education(["Northfield College", "Liberal Arts, B.A. — 3.5"])
    assert (got.get("studyType"), got.get("area")) == ("B.A.", "Liberal Arts")
    assert _education(["Northfield College", "MSc – 3.8/4.0"]).get("studyType") == "MSc"
    # a year after the dash stays (it is no grade)
    assert "2012" in _education(["Northfield College", "Computer Science – 2012"]).get("area", "")
