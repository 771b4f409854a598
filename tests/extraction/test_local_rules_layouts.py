"""Rules written for layouts the first rules did not meet (issue 11): each
case is a shape of many documents, never one person's or employer's words."""

from __future__ import annotations

from extraction.extractors.learned import context as learned
from extraction.extractors.learned.model import LABELS, dump_model, load_model
from extraction.extractors.local import LocalExtractor, extract_raw
from extraction.extractors.local_rules.text import prepare_layout
from extraction.extractors.local_sections import work

PHRASE = list(LABELS["phrase"])
LINE = list(LABELS["line"])


def _phrase_model(words: dict[str, str]):
    """A model whose phrase classifier knows only `words` (word -> kind)."""
    weights = {"bias": [1.0 if x == "other" else 0.0 for x in PHRASE]}
    for word, kind in words.items():
        weights[f"w={word}"] = [6.0 if x == kind else 0.0 for x in PHRASE]
    line = {"bias": [1.0 if x == "other" else 0.0 for x in LINE]}
    return load_model(dump_model({"line": (LINE, line), "phrase": (PHRASE, weights)}, {}))


def test_it_rejoins_a_date_range_a_narrow_column_wrapped():
    for wrapped in (
        "Sep 2014 – Aug\n2015\nEngineer, Acme",
        "September 2014 -\nAugust 2015\nEngineer, Acme",
        "September\n2014 – August\n2015\nEngineer, Acme",
    ):
        lines, _, _ = prepare_layout(wrapped)
        assert len(lines) == 2, lines
        assert lines[0].endswith("2015")
    # A year under an ordinary line stays where it is.
    assert prepare_layout("Awards\n2015")[0] == ["Awards", "2015"]
    assert prepare_layout("Python\n2015 – 2016")[0] == ["Python", "2015 – 2016"]


def test_it_finds_the_city_among_separated_contact_pieces():
    text = "Jane Roe\njane@example.org · +1 555 0100 · Springfield, IL, US · example.org\n"
    assert extract_raw(text)["basics"]["location"]["city"] == "Springfield"


def test_it_reads_a_name_wrapped_onto_two_lines_or_before_a_label():
    assert extract_raw("Jane\nRoe\njane@example.org\n")["basics"]["name"] == "Jane Roe"
    doc = extract_raw("Jane Roe | Software Engineer\njane@example.org\n")
    assert doc["basics"]["name"] == "Jane Roe"
    doc = extract_raw("Jane Maria\nRoe Smith | Engineer\njane@example.org\n")
    assert doc["basics"]["name"] == "Jane Maria Roe Smith"
    # A name followed by its city stays the name alone.
    doc = extract_raw("Jane Roe\nSpringfield\njane@example.org\n")
    assert doc["basics"]["name"] == "Jane Roe"


def test_header_pieces_cut_at_separators_and_keep_legal_forms():
    assert work.header_pieces(["Acme — Engineer"]) == ["Acme", "Engineer"]
    assert work.header_pieces(["Engineer | Acme, Inc."]) == ["Engineer", "Acme, Inc."]
    assert work.header_pieces(["Engineer"]) == ["Engineer"]


def test_the_model_cuts_a_header_the_rules_leave_whole():
    text = "Experience\nZorblax (Remote) — Ninja of Things\n2019 – 2021\n"
    rules = LocalExtractor(model=None).extract(text, deadline=0).resume["work"][0]
    assert "Zorblax" in (rules.get("position", "") + rules.get("name", ""))
    assert not (rules.get("name") == "Zorblax" and rules.get("position") == "Ninja of Things")
    m = _phrase_model({"zorblax": "employer", "ninja": "position", "remote": "location"})
    work = LocalExtractor(model=m).extract(text, deadline=0).resume["work"][0]
    assert (work["name"], work["position"]) == ("Zorblax", "Ninja of Things")


def test_a_title_keeps_its_own_commas_and_an_employer_its_own_dashes():
    m = _phrase_model(
        {"zorblax": "employer", "games": "employer", "ninja": "position", "wizard": "position"}
    )
    with learned.using(m):
        got = work._work(["Zorblax - Games Division — Ninja, Wizard of Things"])
    assert got == {"name": "Zorblax - Games Division", "position": "Ninja, Wizard of Things"}
    with learned.using(m):
        got = work._work(["Ninja of Things - 18 months / Wizard - 13 months"])
    assert got.get("name") != "13 months"


def test_a_sentence_with_a_year_is_no_entry_where_the_model_is_sure():
    text = (
        "Summary\n"
        "Coding since 2004 and building web products for clients in many countries since then.\n"
    )
    assert extract_raw(text).get("work")  # the rules alone take the year for a job
    line = {"bias": [0.0] * len(LINE), "nw=20": [9.0 if x == "other" else 0.0 for x in LINE]}
    line["nw=12"] = line["nw=20"]
    phrase = {"bias": [1.0 if x == "other" else 0.0 for x in PHRASE]}
    m = load_model(dump_model({"line": (LINE, line), "phrase": (PHRASE, phrase)}, {}))
    assert not LocalExtractor(model=m).extract(text, deadline=0).resume.get("work")


def test_it_finds_the_city_of_a_postal_address_and_of_separate_runs():
    from extraction.extractors.local_rules.places import parse_address

    assert (
        parse_address("10 Main Street, 12345, Springfield, Freedonia (FR)")["city"] == "Springfield"
    )
    assert (
        parse_address("Unit 6, 117 Long Road, 2077, Lowtown, New Region (AU)")["city"] == "Lowtown"
    )
    assert parse_address("Skills: Go, 3 years, Python") is None
    assert parse_address("Springfield, Freedonia") is None  # no address: parse_location's case
    text = "Jane Roe\njane@example.org  +1 555 0100  Springfield, IL, US  example.org\n"
    assert extract_raw(text)["basics"]["location"]["city"] == "Springfield"


def test_it_reads_names_printed_in_capitals_over_lines_twice_or_before_a_comma():
    assert extract_raw("JANE MARIA\nROE\njane@example.org\n")["basics"]["name"] == "JANE MARIA ROE"
    assert extract_raw("JANE\nMARIA\nROE\njane@example.org\n")["basics"]["name"] == "JANE MARIA ROE"
    assert extract_raw("Jane Roe Jane Roe\njane@example.org\n")["basics"]["name"] == "Jane Roe"
    doc = extract_raw("Jane Roe, Software Engineer\njane@example.org\n")
    assert doc["basics"]["name"] == "Jane Roe"
    doc = extract_raw('Jane "JJ" Roe\njane@example.org\n')
    assert doc["basics"]["name"] == 'Jane "JJ" Roe'
    # A place under the name is no part of it.
    doc = extract_raw("Jane Roe\nUnited States, Springfield, IL (US)\njane@example.org\n")
    assert doc["basics"]["name"] == "Jane Roe"


def test_it_reads_a_place_printed_without_commas():
    from extraction.extractors.local_rules.places import parse_spaced_location as parse

    assert parse("Springfield Region FR") == {"city": "Springfield", "countryCode": "FR"}
    assert parse("SPRINGFIELD MÉXICO 25000")["city"] == "SPRINGFIELD"
    assert parse("Location  Region  Lowtown, Argentina")["city"] == "Lowtown"
    assert parse("New Lowtown New Lowtown AR")["city"] == "New Lowtown"
    assert parse("I live in Springfield Mexico") is None
    assert parse("Python Java Go") is None


def test_it_reads_dates_written_year_then_month():
    from extraction.extractors.local_rules.dates import find_range
    from extraction.resume import parse_date

    assert parse_date("2020-Mar") == "2020-03"
    r = find_range("2019-Mar - 2019-Jun")
    assert (r.start, r.end) == ("2019-03", "2019-06")
    assert find_range("2020-Mar - Present").present


def test_dates_in_a_run_of_their_own_make_an_entry_even_where_the_model_reads_prose():
    # A Word layout sets each job's dates at a tab stop after a long title
    # line; a model sure that the line is prose must not take its dates away.
    text = (
        "Experience\n"
        "\tNorthwind Traders (Springfield) — Senior Software Engineer\tSep 2019 – Mar 2022\n"
        "Built the billing service and its reports for the finance team.\n"
        "Coding since 2004 and building web products for clients in many countries since then.\n"
    )
    line = {"bias": [9.0 if x == "other" else 0.0 for x in LINE]}
    phrase = {"bias": [1.0 if x == "other" else 0.0 for x in PHRASE]}
    m = load_model(dump_model({"line": (LINE, line), "phrase": (PHRASE, phrase)}, {}))
    work = LocalExtractor(model=m).extract(text, deadline=0).resume.get("work") or []
    assert [(w.get("startDate"), w.get("endDate")) for w in work] == [("2019-09", "2022-03")]


def test_the_place_beside_the_name_is_read_from_its_own_run():
    # `pdftotext -layout` of a theme that prints the place at the right of the
    # name, after a pin icon: the name's run is no part of the city.
    gap = " " * 40
    text = (
        f"Jane Roe{gap}\uf041 Springfield, Ontario, Canada\n"
        "\n"
        f"{gap}\uf0e0 jane@example.org\n"
        f"{gap}\uf095 +1 555 0100\n"
        "Software Engineer\n"
        "\n"
        "Skills                 Work\n"
        "Tools                  Acme Corp.{gap}Jun 2016 - Present\n"
        "Python      Go         Lead Engineer\n"
    )
    assert extract_raw(text)["basics"]["location"]["city"] == "Springfield"


def test_the_name_is_its_own_run_when_the_place_follows_it_on_the_row():
    gap = " " * 40
    text = (
        f"Jane Roe{gap}\uf041 Springfield, Ontario, Canada\n"
        "\n"
        f"{gap}\uf0e0 jane@example.org\n"
        "Software Engineer\n"
        "\n"
        "Skills                 Work\n"
        f"Tools                  Acme Corp.{gap}Jun 2016 - Present\n"
        "Python      Go         Lead Engineer\n"
    )
    assert extract_raw(text)["basics"]["name"] == "Jane Roe"


def _education(lines: list[str], model) -> list[tuple]:
    """(school, degree, field) of each entry of a CV whose education section
    prints `lines`."""
    text = "\n".join(["Jane Roe", "Education", *lines, "Skills", "Python, Go", ""])
    edu = LocalExtractor(model=model).extract(text, deadline=0).resume.get("education", [])
    return [(e.get("institution"), e.get("studyType"), e.get("area")) for e in edu]


_FIELDS = {"quorvian": "area", "studies": "area", "technical": "studyType", "course": "studyType"}


def test_a_date_column_education_entry_takes_a_school_without_a_school_word_under_its_field():
    # Dates first, then degree, field and school on lines of their own: the
    # school is a name with no school's word, right above the next dates.
    lines = ["2011 – 2014", "BSc", "Quorvian Studies", "ZELTRAX"]
    lines += ["2009 – 2010", "Technical Course", "Quorvian Studies", "ZELTRAX"]
    assert _education(lines, _phrase_model(_FIELDS)) == [
        ("ZELTRAX", "BSc", "Quorvian Studies"),
        ("ZELTRAX", "Technical Course", "Quorvian Studies"),
    ]


def test_a_note_under_a_degree_and_its_field_is_no_school():
    lines = ["2011 – 2014", "BSc", "Quorvian Studies", "Thesis: graph colouring"]
    [(school, degree, field)] = _education(lines, _phrase_model(_FIELDS))
    assert "Thesis" not in (school or "") and degree == "BSc"


def test_three_education_pieces_without_a_school_word_take_the_roles_the_model_reads():
    from extraction.extractors.local_sections import education

    with learned.using(_phrase_model(_FIELDS)):
        got = education._education(["Technical Course", "Quorvian Studies", "ZELTRAX"])
        assert (got["institution"], got["studyType"], got["area"]) == (
            "ZELTRAX",
            "Technical Course",
            "Quorvian Studies",
        )
        # a school's name cut at a dash is not read as a school and a field
        got = education._education(["ZELTRAX - Norvell", "Technical Course"])
        assert got.get("area") != "Norvell" and got.get("institution") != "Norvell"


def test_a_school_named_with_at_keeps_the_degree_printed_under_it():
    from extraction.extractors.local_sections import education

    model = _phrase_model(_FIELDS)
    lines = ["UNIVERSITY OF SPRINGFIELD AT SHELBYVILLE  08/2018 - 05/2022", "BS QUORVIAN STUDIES"]
    assert _education(lines, model) == [
        ("UNIVERSITY OF SPRINGFIELD AT SHELBYVILLE", "BS", "QUORVIAN STUDIES")
    ]
    with learned.using(model):
        got = education._education(
            ["University of Springfield at Shelbyville", "BS Quorvian Studies"]
        )
    assert got["institution"] == "University of Springfield at Shelbyville"
    # a degree at a school stays one line read as such
    lines = ["BS Quorvian Studies at Springfield University  08/2018 - 05/2022"]
    assert _education(lines, model) == [("Springfield University", "BS", "Quorvian Studies")]


def test_a_degree_of_several_words_is_split_from_its_field_where_the_line_writes_it():
    from extraction.extractors.local_sections.degrees import _written_split, split_degree

    model = _phrase_model({**_FIELDS, "zorbish": "studyType"})
    with learned.using(model):
        assert split_degree("MSc Double Degree in Quorvian Studies") == (
            "MSc Double Degree",
            "Quorvian Studies",
        )
        assert split_degree("Zorbish Technical - Quorvian Studies") == (
            "Zorbish Technical",
            "Quorvian Studies",
        )
        assert split_degree("Bachelor of Science (BS) in Quorvian Studies") == (
            "Bachelor of Science (BS)",
            "Quorvian Studies",
        )
        # a field before the separator is no degree: the line is not cut there
        assert _written_split("Quorvian Studies - Zeltrax Studies") is None
        assert _written_split("Zorbish in Springfield University") is None
