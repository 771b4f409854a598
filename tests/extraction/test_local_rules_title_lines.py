"""Local extractor rules for an entry's title lines and the place under the
name: where the section's own layout or the line model says which lines
title an entry. People, companies, schools and places are invented; the
models are tiny ones made here, so that no test depends on the committed
model's weights."""

from __future__ import annotations

from extraction.extractors.learned import context as learned
from extraction.extractors.learned.model import load_model
from extraction.extractors.local import extract_raw
from tests.extraction.test_line_model import LINE, PHRASE, _row, tiny_model

HEAD = "Jane Quill\njane@example.org\n"


def _jobs(doc: dict) -> list[tuple]:
    return [(j.get("name"), j.get("position"), j.get("startDate")) for j in doc.get("work", [])]


def _schools(doc: dict) -> list[tuple]:
    return [
        (e.get("institution"), e.get("studyType"), e.get("area"), e.get("startDate"))
        for e in doc.get("education", [])
    ]


def test_a_title_that_heads_the_next_dates_goes_where_the_section_prints_titles():
    # A date-column table: each row's dates, then its title below them. A row
    # with no text under its title reads as "dates <tab> title" followed by the
    # next row's dates; the title is its own row's, as the first row shows.
    text = (
        "Jane Quill\nML Engineer\nLowtown, Freedonia | example.org\n"
        "About Me\nGoing on 4+ years of experience in programming.\n"
        "Employment\n"
        "09/2019 - Current\nAI Engineer, Widgetry\n"
        "Helping machines to read and understand documents.\n"
        "08/2018 - 08/2019\tLead Engineer, Gadget Works\n"
        "06/2015 - 08/2018\nSoftware Engineer, Acme Labs\n"
        "Started my first professional developer experience as a Software Engineer\n"
    )
    assert _jobs(extract_raw(text)) == [
        ("Widgetry", "AI Engineer", "2019-09"),
        ("Gadget Works", "Lead Engineer", "2018-08"),
        ("Acme Labs", "Software Engineer", "2015-06"),
    ]


def test_a_field_after_the_school_is_no_place_where_the_model_reads_a_field():
    text = "Education\n2012 – 2015 Bachelor in Widgetry, Lowtown University, Applied Gadgetry\n"
    # The rules alone take a short name after the school for its place.
    assert _schools(extract_raw(HEAD + text)) == [
        ("Lowtown University, Applied Gadgetry", "Bachelor", "Widgetry", "2012")
    ]
    m = load_model(tiny_model(phrase_weights={"w=gadgetry": _row(PHRASE, "area")}))
    with learned.using(m):
        assert _schools(extract_raw(HEAD + text)) == [
            ("Lowtown University", "Bachelor", "Widgetry", "2012")
        ]
    # A place stays with its school.
    m = load_model(tiny_model(phrase_weights={"w=springfield": _row(PHRASE, "location")}))
    with learned.using(m):
        doc = extract_raw(
            HEAD + "Education\n2012 – 2015 BSc Widgetry, Lowtown University, Springfield\n"
        )
    assert _schools(doc)[0][0] == "Lowtown University, Springfield"


LONG = "Post Diploma, Applied Widgetry - Zorbrook Polytechnic (Lowtown Gadget University)"
SCHOOLS = (
    "Education\n"
    "Certificate, Gadgets - Widget Institute\n2004-Jan - 2005-Jan\n"
    f"{LONG}\n1998-Aug - 2000-Feb\n"
)


def test_a_long_title_line_the_line_model_is_sure_of_titles_the_dates_under_it():
    # Too long for a title line by its shape alone: without the model the
    # second entry has no title and is lost.
    assert len(_schools(extract_raw(HEAD + SCHOOLS))) == 1
    m = load_model(
        tiny_model(
            {"w0=post": _row(LINE, "institution_degree", 20.0)},
            {"w=widgetry": _row(PHRASE, "area")},
        )
    )
    with learned.using(m):
        got = _schools(extract_raw(HEAD + SCHOOLS))
    assert got[1] == (
        "Zorbrook Polytechnic (Lowtown Gadget University)",
        "Post Diploma",
        "Applied Widgetry",
        "1998-08",
    )


def test_a_wrapped_title_line_is_joined_where_the_section_counts_one_line():
    # The section's first entry prints one title line above its dates; the
    # second's wrapped onto two, with a line under its dates that could be a title.
    text = (
        "Education\n"
        "BSc, Physics - Springfield University\n2010 - 2013\n"
        "MSc, Applied Mathematics - Open University of\nLowtown\n2013 - 2015\n"
        "Thesis on Widgets\n"
    )
    m = load_model(tiny_model(phrase_weights={"w=mathematics": _row(PHRASE, "area")}))
    with learned.using(m):
        got = _schools(extract_raw(HEAD + text))
    assert got[1] == ("Open University of Lowtown", "MSc", "Applied Mathematics", "2013")


def test_a_short_name_with_a_full_stop_is_a_title_line_where_the_model_is_sure():
    text = (
        "Work  Lead Product Manager - Design\n"
        "Gizmo Software.\nJun 2016 – Present\n"
        "Applied research-based principles to the design of products.\n"
        "Vice President - Experience\nWidget Consulting Ltd.\nSep 2015 – Jun 2016\n"
        "Hired and trained a team.\n"
    )
    m = load_model(tiny_model({"sq=gizmosoftware": _row(LINE, "employer", 20.0)}))
    with learned.using(m):
        jobs = _jobs(extract_raw(HEAD + text))
    assert jobs[0] == ("Gizmo Software.", "Lead Product Manager - Design", "2016-06")
    # Without the model the full stop reads as the end of a sentence.
    assert ("Gizmo Software.", "Lead Product Manager - Design", "2016-06") not in _jobs(
        extract_raw(HEAD + text)
    )


def test_a_lone_name_under_the_persons_that_reads_as_no_job_is_where_they_live():
    text = "Jane Quill\n{}\nAbout\nI build widgets.\nPhone: 555 0100\nEmail: jane@example.org\n"
    m = load_model(
        tiny_model(
            phrase_weights={
                "w=lowtown": _row(PHRASE, "other", 3.0),
                "w=ninja": _row(PHRASE, "position", 3.0),
            }
        )
    )
    with learned.using(m):
        place = extract_raw(text.format("Lowtown"))["basics"]
        job = extract_raw(text.format("Ninja"))["basics"]
        unknown = extract_raw(text.format("Zembla"))["basics"]
    assert place.get("location") == {"city": "Lowtown"} and "label" not in place
    assert "location" not in job and job.get("label") == "Ninja"
    # A word the model knows nothing of stays the label.
    assert "location" not in unknown


def test_a_school_printed_under_each_degree_is_each_ones_school_not_a_place():
    text = (
        "Education\n"
        "\tBachelor of Science, Widgetry\t2001 – 2005\nLowtown University\n"
        "\tMaster of Science in Gadget Systems\t2005 – 2008\nLowtown University\n"
    )
    assert _schools(extract_raw(HEAD + text)) == [
        ("Lowtown University", "Bachelor of Science", "Widgetry", "2001"),
        ("Lowtown University", "Master of Science", "Gadget Systems", "2005"),
    ]


def _name(text: str) -> str | None:
    return extract_raw(text)["basics"].get("name")


def test_a_name_wrapped_at_the_top_wins_over_a_later_line_that_reads_as_a_name():
    text = (
        "JANE\nQUILL\nPRODUCT DESIGNER\nABOUT\njane@example.org\n+1 555 0100\n"
        "UX TOOLS\nSKETCH\nWIDGETS\n"
    )
    assert _name(text) == "JANE QUILL"


def test_a_place_above_the_name_is_not_the_name():
    assert (
        _name("Lowtown, CA, United States\nJane Quill\nSoftware Developer\njane@example.org\n")
        == "Jane Quill"
    )
    assert (
        _name("CONTACT\nLowtown MI US\nJANE QUILL\nSENIOR ENGINEER\njane@example.org\n")
        == "JANE QUILL"
    )


def test_a_skills_heading_only_the_model_sees_with_dates_under_it_is_no_heading():
    text = (
        HEAD + "Experience\n"
        "March 2014–November 2015\nSenior Engineer, Widgetry\nNotes\n"
        "Built the billing system for the shop.\n"
        "November 2013–March 2014\nEngineer, Gadget Works\nMaintained two mobile applications.\n"
        "Skills\nPython\nGo\n"
    )
    m = load_model(tiny_model({"sq=notes": _row(LINE, "head_skills", 20.0)}))
    with learned.using(m):
        doc = extract_raw(text)
    # The job after it stays a job of the work section, titled as the first.
    jobs = _jobs(doc)
    assert len(jobs) == 2 and jobs[1] == ("Gadget Works", "Engineer", "2013-11")
    assert doc.get("skills") and "Notes" not in str(doc["skills"])


def test_an_employers_tagline_beside_its_name_is_left_out():
    text = (
        HEAD + "Work  Mobile Team Lead\n"
        "Widgetry · Redefining the Gadget Experience.\nNov 2021 – Present\nLowtown/Remote\n"
        "Widgetry is a platform for gadgets, offering a full range of widgets.\n"
        "Senior Engineer\nGizmo Labs · Building the widget team of the future\n"
        "Nov 2020 – Nov 2021\nGizmo Labs is a network of engineers.\n"
        "Founder\nAcme · Gadgets Division\nMay 2015 – Oct 2020\nStarted the company.\n"
    )
    assert _jobs(extract_raw(text)) == [
        ("Widgetry", "Mobile Team Lead", "2021-11"),
        ("Gizmo Labs", "Senior Engineer", "2020-11"),
        ("Acme · Gadgets Division", "Founder", "2015-05"),
    ]


def test_the_lines_above_a_sections_heading_title_none_of_its_entries():
    text = (
        "Jane Quill\njane@example.org\n+1 555 0100\nlinkedin.com/in/jane-quill\n\n"
        "EMPLOYMENT\n2022–Current\nDevOps Engineer\nWidget Star\nLowtown, USA\n"
        "Cloud infrastructure management in a DevOps team.\n"
        "2018–2021\nCloud Engineer\nGizmo One\nLowtown, USA\nBuilt the public cloud.\n"
    )
    jobs = _jobs(extract_raw(text))
    assert jobs[0][1:] == ("DevOps Engineer", "2022")
    assert "linkedin" not in str(jobs) and "555" not in str(jobs)


def test_a_schools_name_wrapped_after_degree_at_school_goes_on_where_the_model_is_sure():
    text = (
        HEAD + "EXPERIENCE\nEngineer at Widgetry  Jan 2016 - Jan 2020\nBuilt things for people.\n"
        "EDUCATION\nBachelor in Applied Widgetry at Lowtown  Jan 2012 - Jan 2015\nUniversity\n"
        "Major courses: Widgets · Gadgets · Gizmos\n"
    )
    assert _schools(extract_raw(text))[0][0] == "Lowtown"
    m = load_model(tiny_model({"sq=university": _row(LINE, "institution", 20.0)}))
    with learned.using(m):
        assert _schools(extract_raw(text))[0][0] == "Lowtown University"


def test_an_address_wrapped_in_a_narrow_column_is_joined():
    basics = extract_raw("Jane Quill\nAbout\n\njane.quill@example.co\nm\n\n+1 555 0100\n")["basics"]
    assert basics.get("email") == "jane.quill@example.com"
    # A word under a whole address is no part of it.
    basics = extract_raw("Jane Quill\njane.quill@example.org\nand\nmore text here\n")["basics"]
    assert basics.get("email") == "jane.quill@example.org"


def test_a_contact_label_or_a_line_under_the_label_is_not_taken_for_the_city():
    m = load_model(
        tiny_model(
            phrase_weights={
                "w=website": _row(PHRASE, "other", 3.0),
                "w=lowtown": _row(PHRASE, "other", 3.0),
            }
        )
    )
    with learned.using(m):
        label = extract_raw(
            "Jane Quill\nSenior Engineer\nWebsite\nhttps://example.org\nEmail  jane@example.org\n"
        )["basics"]
        below_label = extract_raw(
            "Jane Quill\nSenior Engineer\nLowtown\nAbout\nI build widgets.\njane@example.org\n"
        )["basics"]
    assert "location" not in label
    assert "location" not in below_label


def test_a_place_printed_across_a_gap_after_the_employer_is_not_the_employers():
    # LaTeX CV classes print "Employer <gap> Place" over "Title <gap> dates";
    # the gap is lost once the header's parts are joined, and the place read
    # as the end of the employer's name, or the name itself ("USA").
    text = (
        "Experience\n"
        "Acme Widgets  Springfield, IL, USA\n"
        "Data Engineer  01.2023 — 08.2023\n"
        "Built data pipelines for the analytics team.\n"
        "Globex  Remote\n"
        "Analyst Intern  06.2021 — 07.2021\n"
        "Automated the weekly reports.\n"
        "Initech  Lowtown, Texas, USA\n"
        "Data Scientist Intern  06.2020 — 09.2020\n"
        "Wrote image compression tools.\n"
    )
    assert _jobs(extract_raw(HEAD + text)) == [
        ("Acme Widgets", "Data Engineer", "2023-01"),
        ("Globex", "Analyst Intern", "2021-06"),
        ("Initech", "Data Scientist Intern", "2020-06"),
    ]
    # Without the gap, a name that ends like a place is kept whole.
    text = "Experience\nLowtown Remote Works\nData Engineer  01.2023 — 08.2023\n"
    assert _jobs(extract_raw(HEAD + text))[0][0] == "Lowtown Remote Works"


def test_a_field_before_a_school_with_a_dash_of_its_own_is_the_field():
    text = (
        "Education\n"
        "Master, Applied Gadgetry - Lowtown Institute of Widgetry - LIW\n"
        "2022-Nov - Present\n"
    )
    m = load_model(tiny_model(phrase_weights={"w=gadgetry": _row(PHRASE, "area")}))
    with learned.using(m):
        assert _schools(extract_raw(HEAD + text)) == [
            ("Lowtown Institute of Widgetry - LIW", "Master", "Applied Gadgetry", "2022-11")
        ]


def test_a_place_before_a_school_is_left_out_of_its_name():
    text = "Education\nBachelor of Engineering in Gadgetry, Freedonia - Springfield University\n"
    weights = {"w=gadgetry": _row(PHRASE, "area"), "w=freedonia": _row(PHRASE, "location")}
    with learned.using(load_model(tiny_model(phrase_weights=weights))):
        schools = _schools(extract_raw(HEAD + text + "2004 - 2011\n"))
    assert [s[:3] for s in schools] == [
        ("Springfield University", "Bachelor of Engineering", "Gadgetry")
    ]


def test_brackets_that_open_or_close_a_title_stay_with_it():
    text = (
        "Work\n"
        "Widgetry - Lowtown  2021-02-01 —\n"
        "(Part-time) Senior QA Engineer (Gadgets & Reliability)\n"
        "Highlights\n"
        "Led the testing of every gadget.\n"
        "Education\n"
        "2015 - 2017  Lowtown Institute of Gadgetry (LIG)\n"
    )
    doc = extract_raw(HEAD + text)
    assert _jobs(doc) == [
        (
            "Widgetry - Lowtown",
            "(Part-time) Senior QA Engineer (Gadgets & Reliability)",
            "2021-02-01",
        )
    ]
    assert _schools(doc)[0][0] == "Lowtown Institute of Gadgetry (LIG)"


def test_a_title_run_before_the_employer_and_its_place_stays_out_of_the_employer():
    from extraction.extractors.local_rules.line import Line
    from extraction.extractors.local_sections.work import without_place_cell

    line = Line(
        "Data Engineer Acme Widgets Remote", "work", ("Data Engineer", "Acme Widgets", "Remote")
    )
    assert without_place_cell("Acme Widgets Remote", [line], "Data Engineer") == "Acme Widgets"
    line = Line(
        "Data Engineer Springfield, IL, USA", "work", ("Data Engineer", "Springfield, IL, USA")
    )
    # The place's last piece read as the employer: the run before it is the
    # title, not an employer.
    assert without_place_cell("USA", [line], "Data Engineer") == "USA"
    line = Line("Tesla Fremont, CA, USA", "work", ("Tesla", "Fremont, CA, USA"))
    assert without_place_cell("USA", [line], "Data Scientist Intern") == "Tesla"


def test_an_employers_tagline_wrapped_over_lines_is_left_out():
    # The theme prints the title, then "Employer · tagline" wrapped to the
    # page's width, then the dates: the tagline's other lines are no title.
    text = (
        HEAD + "Work  Senior Design Engineer\n"
        "Widgetry · End-to-end gadget and widget prevention platform for companies that offer\n"
        "financial products\nSep 2024 – Present\nLowtown\n"
        "Design engineering at a widget platform for financial institutions.\n"
        "Design systems: improved build performance and developer experience of\n"
        "Widgetry's component library\n"
        "Senior UI Engineer\n"
        "Gizmo (acquired by Acme) · Desarrollo backend para una plataforma de atención\n"
        "conversacional, gestión de redes sociales y campañas publicitarias masivas.\n"
        "Participación en la construcción de servicios escalables, flujos de datos y\n"
        "funcionalidades integradas con infraestructura cloud.\n"
        "Oct 2023 – Aug 2024\nLowtown\nBuilt the gadget platform.\n"
        "Software Engineer\nAcme · Mortgage lender\nJul 2018 – Mar 2021\nBuilt loans.\n"
    )
    assert _jobs(extract_raw(text)) == [
        ("Widgetry", "Senior Design Engineer", "2024-09"),
        ("Gizmo (acquired by Acme)", "Senior UI Engineer", "2023-10"),
        ("Acme", "Software Engineer", "2018-07"),
    ]


def test_a_tagline_is_taken_out_only_up_to_its_entrys_dates():
    from extraction.extractors.local_rules.dates import find_range
    from extraction.extractors.local_rules.line import Line
    from extraction.extractors.local_sections.entries import drop_taglines

    def lines(*texts):
        out = []
        for t in texts:
            ln = Line(t, "work", probs={"other": 1.0})
            ln.range = find_range(t)
            out.append(ln)
        return out

    got = lines(
        "Widgetry · Redefining the gadget experience for companies that",
        "offer financial products",
        "Nov 2021 – Present",
    )
    drop_taglines(got)
    assert [ln.text for ln in got] == ["Widgetry", "Nov 2021 – Present"]
    # the line model read the whole line: its reading of it no longer holds
    assert got[0].probs == {}
    # no dates after the lines in lower case: they are not the tagline's
    kept = lines(
        "Widgetry · Redefining the gadget experience for companies that",
        "offer financial products",
        "Senior Engineer",
        "Nov 2021 – Present",
    )
    drop_taglines(kept)
    assert [ln.text for ln in kept][1:] == [
        "offer financial products",
        "Senior Engineer",
        "Nov 2021 – Present",
    ]


def test_the_end_of_a_wrapped_sentence_above_a_title_is_no_employer():
    # "...developer experience of" / "Widgetry's component library": the last
    # line of the job before, not the employer of the next one.
    text = (
        HEAD + "Work\nSenior UI Engineer\nWidgetry\nOct 2023 – Aug 2024\n"
        "Design systems: improved build performance and developer experience of\n"
        "Widgetry's component library\n"
        "Senior Software Engineer\nForte\nJul 2022 – Mar 2023\nBuilt the application.\n"
    )
    assert _jobs(extract_raw(text)) == [
        ("Widgetry", "Senior UI Engineer", "2023-10"),
        ("Forte", "Senior Software Engineer", "2022-07"),
    ]
