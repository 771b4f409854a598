"""Local extractor rules for work and education entries, places and links, on
hand-made inputs: titles and employers over several lines, roles grouped under
one employer, places printed under the dates, degrees, printed HTML. People,
companies, schools and places are invented."""

from __future__ import annotations

from extraction.extractors.local import LocalExtractor, extract_raw
from extraction.extractors.local_rules import places, scores
from extraction.extractors.local_sections import education, work


def _jobs(text: str) -> list[tuple]:
    doc = extract_raw("Jane Quill\njane@example.org\n" + text)
    return [(j.get("name"), j.get("position"), j.get("startDate")) for j in doc.get("work", [])]


# --------------------------------------------------------------------------- titles
def test_a_title_word_inside_a_compound_counts():
    assert scores.title_score("Software-Entwickler") == 1
    assert scores.title_score("Senior-Entwickler / Berater") == 2
    assert scores.title_score("Widget-Werke") == 0


def test_a_rank_after_the_head_noun_keeps_it_a_title():
    assert scores.role_score("Software Developer II") > 0
    assert scores.role_score("Systems Engineer 3") > 0
    assert work._work(["Gadgetry Vision", "Software Developer II"]) == {
        "name": "Gadgetry Vision",
        "position": "Software Developer II",
    }


def test_compound_title_comma_employer():
    assert _jobs(
        "Work\nSoftware-Entwickler, widget-werke IT-Service GmbH\nOct, 2013 - Mar, 2015\n"
    ) == [("widget-werke IT-Service GmbH", "Software-Entwickler", "2013-10")]


def test_an_employer_written_in_lower_case_heads_its_entry():
    assert _jobs("Work\nBackend Developer\nwidget2go\nSep 2022 – Present\nBuilt things.\n") == [
        ("widget2go", "Backend Developer", "2022-09")
    ]
    assert scores.header_like("idea4app")
    assert not scores.header_like("and more")


# --------------------------------------------------------------------------- layouts
def test_title_comma_employer_does_not_take_the_line_above():
    text = (
        "Work\nWeb Developer, Widgetry\nJan, 2016 - Present\n"
        "Creation of layouts using Sass, Bootstrap and jQuery\n"
        "Web Developer, Freelance\nOct, 2014 - Dec, 2015\nBuilt sites.\n"
    )
    assert _jobs(text) == [
        ("Widgetry", "Web Developer", "2016-01"),
        ("Freelance", "Web Developer", "2014-10"),
    ]


def test_a_place_printed_under_the_dates_of_several_jobs_is_not_an_employer():
    text = (
        "Work\nSenior Engineer\nWidgetry\nJan 2020 – Present\nLowtown\nBuilt things.\n"
        "Gadgetry GmbH\nLead Engineer\nJan 2018 – Dec 2019\nLowtown\nLed things.\n"
        "Engineer\nApr 2015 – Dec 2017\nLowtown\nMade things.\n"
    )
    jobs = _jobs(text)
    assert ("Gadgetry GmbH", "Lead Engineer", "2018-01") in jobs
    assert all(name != "Lowtown" for name, _, _ in jobs)


def test_roles_grouped_under_one_employer_share_it():
    text = (
        "Work\nWidgetry Technologies\nSenior Developer\nMay 2017 – Present\nBuilt things.\n"
        "Junior Developer\nAug 2016 – Apr 2017\nMade things.\n"
    )
    assert _jobs(text) == [
        ("Widgetry Technologies", "Senior Developer", "2017-05"),
        ("Widgetry Technologies", "Junior Developer", "2016-08"),
    ]


def test_a_title_wrapped_over_lines_in_a_narrow_column():
    text = (
        "Work\nWidgetry\nSenior Site Reliability & Platform\nEngineer\n"
        "2022-09-01 - 2024-09-30 https://widgetry.example\nRan things.\n"
        "Gadgetry Co\nFull Stack Developer -\nGadgetry\n2021-05-05 - 2022-02-05\nBuilt.\n"
        "Gizmo Club (Unofficial)\nCustom Game\nDeveloper - Gizmo Club\n(Unofficial)\n"
        "2020-07-05 - 2021-05-05\nPlayed.\n"
    )
    assert _jobs(text) == [
        ("Widgetry", "Senior Site Reliability & Platform Engineer", "2022-09-01"),
        ("Gadgetry Co", "Full Stack Developer - Gadgetry", "2021-05-05"),
        (
            "Gizmo Club (Unofficial)",
            "Custom Game Developer - Gizmo Club (Unofficial)",
            "2020-07-05",
        ),
    ]


def test_a_prose_line_above_is_not_the_employer_of_a_wrapped_title():
    text = (
        "Work\nWidgetry\nEngineer\n2019-01 - 2020-01\n"
        "Creation of layouts using Sass, Bootstrap and jQuery\nWeb Developer\nFreelance\n"
        "2014-10 - 2015-10\n"
    )
    assert ("Freelance", "Web Developer", "2014-10") in _jobs(text)


def test_a_full_width_title_line_wrapped_under_the_dates():
    body = "Worked on many things with many people for a long time, shipping.\n" * 4
    text = (
        "Work\n2020-07-05 to 2021-05-05  Custom Game Developer for the Community at Gizmo\n"
        "Club (Unofficial)\n" + body
    )
    assert _jobs(text) == [
        ("Gizmo Club (Unofficial)", "Custom Game Developer for the Community", "2020-07-05")
    ]


def test_a_sentence_after_the_dates_is_not_a_title_with_at():
    text = (
        "Work\nIngeniero de Software Senior\nWidgetry Group\nApr 2022 – Present\n"
        "Diseño y desarrollo de plataformas de datos en tiempo real, escalables, con\n"
        "Kafka y Spark.\n"
    )
    assert _jobs(text) == [("Widgetry Group", "Ingeniero de Software Senior", "2022-04")]


# --------------------------------------------------------------------------- education
def test_two_degrees_joined_and_the_area():
    assert education.split_degree("Bachelor & Master Systems Engineering") == (
        "Bachelor & Master",
        "Systems Engineering",
    )
    assert education.split_degree("Bachelor & Master") == ("Bachelor & Master", None)


def test_institution_then_area_then_degree_below_the_dates():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nEducation\nNorthfield Institute\n2008 — 2014\n"
        "Systems Engineering\nBachelor & Master\n"
        "Westbrook School\nAbitur in Mathematik\n2005 — 2008\n"
    )
    first, second = doc["education"]
    assert first == {
        "institution": "Northfield Institute",
        "area": "Systems Engineering",
        "studyType": "Bachelor & Master",
        "startDate": "2008",
        "endDate": "2014",
    }
    assert second["institution"] == "Westbrook School"


def test_printed_html_is_kept_as_printed_and_a_cut_tag_joins_its_next_line():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nEducation\n"
        "Master Physics at <a href='https://north.example/'>Northfield  Jan 2008 - Jan 2010\n"
        "Institute</a> (Exchange)\n"
        "<a href='https://west.example/'>Westbrook Institute</a> / <a\n"
        "href='https://east.example/'>Eastvale Institute</a>\n2004 — 2008\n"
    )
    first, second = doc["education"]
    assert first["institution"] == (
        "<a href='https://north.example/'>Northfield Institute</a> (Exchange)"
    )
    assert (first["studyType"], first["area"]) == ("Master", "Physics")
    assert second["institution"] == (
        "<a href='https://west.example/'>Westbrook Institute</a> / "
        "<a href='https://east.example/'>Eastvale Institute</a>"
    )


# --------------------------------------------------------------------------- places
def test_place_in_a_school_name():
    assert places.place_in_name("The University of Lowtown") == "Lowtown"
    assert places.place_in_name("University College Lowtown") == "Lowtown"
    assert places.place_in_name("Universität Lowtown") == "Lowtown"
    assert places.place_in_name("Universidad de Lowtown (UL)") == "Lowtown"
    assert places.place_in_name("University of Technology") is None
    assert places.place_in_name("Northfield International University") is None
    assert places.place_in_name("Widgetry GmbH") is None


def test_no_address_printed_the_city_of_the_latest_school_or_employer_low():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nWork\nResearch Assistant at University College Lowtown\n"
        "2023-08 - 2023-12\nEducation\nThe University of Westbrook\n2016 - 2019\n"
    )
    assert doc["basics"]["location"] == {"city": "Lowtown"}


def test_a_printed_address_wins_over_a_school_name():
    doc = extract_raw(
        "Jane Quill\nLowtown, Germany\njane@example.org\nEducation\n"
        "The University of Westbrook\n2016 - Present\n"
    )
    assert doc["basics"]["location"]["city"] == "Lowtown"


# --------------------------------------------------------------------------- links
def test_links_added_by_the_reader_become_profiles():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nWork\nEngineer at Widgetry\n2020 - 2022\n"
        "\nLinks\nhttps://github.com/jquill\nhttps://www.linkedin.com/in/jane-quill/\n"
    )
    urls = {p["url"] for p in doc["basics"]["profiles"]}
    assert urls == {"https://github.com/jquill", "https://www.linkedin.com/in/jane-quill/"}


def test_a_lone_year_in_a_run_of_its_own_dates_the_entry():
    # A year at a tab stop beside a course title that itself ends in a year.
    doc = extract_raw(
        "Jane Quill\njane@example.org\nEducation\n"
        "\tCertificate in Web Design edition 2025\t2025\nQuillworks Academy\n"
        "\tBootcamp in Data Science\t2022\nNorthfield Institute\n"
    )
    # a school's lone date is when it ended (test_local_rules_lone_dates)
    assert [e.get("endDate") for e in doc.get("education", [])] == ["2025", "2022"]


def test_a_lone_year_inside_a_sentence_still_dates_nothing():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nWork\nEngineer, Widgetry\n2019 - 2021\n"
        "Grew the user base to 16 million users in 2022 with the team.\n"
    )
    assert [j.get("startDate") for j in doc.get("work", [])] == ["2019"]


def test_every_entry_of_a_section_takes_its_title_lines_where_the_first_one_did():
    # School, field and degree on three lines between the heading and the first
    # dates: every entry of the section has three, the degree among them.
    doc = extract_raw(
        "Jane Quill\njane@example.org\nWork\nQuillworks Ltd\nEngineer\n2019 - 2024\n"
        "Education\nEastvale College\nComputer Science and Accounting\nBachelor\n"
        "2006-09-01 - 2011-06-29\nNorthfield Academy\nApplied Physics\nMaster\n"
        "2011-09-01 - 2013-06-29\nSkills\nPython\n"
    )
    got = [(e.get("institution"), e.get("studyType")) for e in doc.get("education", [])]
    assert got == [("Eastvale College", "Bachelor"), ("Northfield Academy", "Master")]


def test_a_school_name_ending_like_a_since_word_is_not_a_since_date():
    # "...da 01/2001" inside "Lowda" must not read as Italian "da" (since)
    doc = extract_raw(
        "Jane Quill\njane@example.org\nEducation\n"
        "University of Lowda                    01/2001 - 01/2005\n"
        "Bachelor of Science Information Technology\n"
    )
    (entry,) = doc["education"]
    assert entry["institution"] == "University of Lowda"
    assert (entry["startDate"], entry["endDate"]) == ("2001-01", "2005-01")


def test_two_pieces_without_a_degree_word_are_degree_then_field():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nEducation\nUniversidad de Villanueva\n2000 - 2006\n"
        "Universitario\nIngeniería Electrónica\n"
    )
    (entry,) = doc["education"]
    assert (entry["studyType"], entry["area"]) == ("Universitario", "Ingeniería Electrónica")


def test_degree_words_of_other_languages_split_the_degree_line():
    assert education.split_degree("Bachillerato in Técnico en Informática") == (
        "Bachillerato",
        "Técnico en Informática",
    )
    assert education.split_degree("Bachelor's degree - Computer Science") == (
        "Bachelor's degree",
        "Computer Science",
    )


def test_a_field_and_a_school_joined_by_a_dash_are_two_pieces_with_the_model():
    from extraction.extractors.learned import context
    from extraction.extractors.learned.model import default_model

    with context.using(default_model()):
        got = education._education(["Pregrado, Ingeniería de sistemas - Universidad Villanueva"])
        kept = education._field_and_school("Diplôme d'Ingénieur - Grande École de Villanueva")
        named = education._field_and_school("Villanueva Institute - School of Arts")
    assert got == {
        "institution": "Universidad Villanueva",
        "studyType": "Pregrado",
        "area": "Ingeniería de sistemas",
    }
    # a degree beside a school, and a school's own name with a dash, stay whole
    assert kept == ["Diplôme d'Ingénieur - Grande École de Villanueva"]
    assert named == ["Villanueva Institute - School of Arts"]


def test_dates_on_the_headings_row_set_no_template_for_the_next_entries():
    # the first entry's dates share the heading's row: where its title lines
    # stand says nothing about the others, which print the school above
    doc = extract_raw(
        "Jane Quill\njane@example.org\nEDUCATION  2010 — 2013\n"
        "Northfield School of Engineering (Lowtown University)\nBSc - Computer Science\n"
        "University of Westbrook\n2007 — 2010\nBSc - Electrical Engineering\n"
    )
    assert [e["institution"] for e in doc["education"]] == [
        "Northfield School of Engineering (Lowtown University)",
        "University of Westbrook",
    ]


def test_a_title_wrapped_around_the_dates_beside_its_first_row_is_one():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nEducation\nEcole Nationale Superieure des\n"
        "2019 - 2022\nMines de Lowtown\nProbability\n"
    )
    assert doc["education"][0]["institution"] == "Ecole Nationale Superieure des Mines de Lowtown"


def test_a_line_with_an_open_parenthesis_goes_on_on_the_next():
    from extraction.extractors.local_rules.dates import find_range
    from extraction.extractors.local_rules.line import Line
    from extraction.extractors.local_sections import headers

    assert headers._continues("Shri Lowtown Polytechnic (Westbrook")
    assert not headers._continues("Shri Lowtown Polytechnic (Westbrook University)")
    lines = [
        Line(t, "education")
        for t in ("Lowtown Polytechnic (Westbrook", "University)", "2000 - 2004")
    ]
    lines[2].range = find_range(lines[2].text)
    # the wrapped school heads the dates below it: no entry above may take it
    assert headers._heads_next_dates(lines, 0)


# --------------------------------------------------------------------------- blank lines, degrees
def test_a_blank_line_ends_an_entry_in_plain_text():
    # typed text: "degree" / "school, dates", a blank line, the next entry;
    # the line after the blank is the next entry's degree, not this one's
    doc = extract_raw(
        "Jane Quill\njane@example.org\n\nEducation\n---------\n\n"
        "Online in Widget Design\nVillanueva Academy, June 2018 – August 2018\n\n"
        "Bootcamp in Software Development\nGadget Institute, June 2016 – August 2016\n\n"
        "Skills\n------\n\n• Cobol\n"
    )
    got = [(e.get("institution"), e.get("area")) for e in doc["education"]]
    assert got == [
        ("Villanueva Academy", "Online in Widget Design"),
        ("Gadget Institute", "Bootcamp in Software Development"),
    ]


def test_blank_lines_are_marked_on_the_line_after_them():
    from extraction.extractors.local_rules.text import prepare_layout_gaps

    lines, _, _, gaps = prepare_layout_gaps("A\nB\n\n\nC\n  \nD\n\nE\n\nF\nG\n")
    assert lines == ["A", "B", "C", "D", "E", "F", "G"]
    assert gaps == [False, False, True, True, True, True, False]
    # a stray blank line (a page's end in a PDF's text) marks nothing
    lines, _, _, gaps = prepare_layout_gaps("A\nB\nC\n\nD\nE\nF\nG\n")
    assert not any(gaps)


def test_degree_comma_field_before_a_school_with_the_model():
    from extraction.extractors.learned import context
    from extraction.extractors.learned.model import default_model

    with context.using(default_model()):
        got = education._education(["Honours, Quantum Computing - Villanueva University"])
        place = education._degree_comma_field("Villanueva, Freedonia")
    assert got == {
        "institution": "Villanueva University",
        "studyType": "Honours",
        "area": "Quantum Computing",
    }
    assert place is None  # a place is no degree and field


def test_a_degree_piece_keeps_its_whole_name_when_its_field_follows():
    from extraction.extractors.learned import context
    from extraction.extractors.learned.model import default_model

    with context.using(default_model()):
        got = education._education(
            ["Grado en Ingeniería, Ingeniería de software - Universidad Villanueva"]
        )
    assert got["studyType"] == "Grado en Ingeniería"
    assert got["area"] == "Ingeniería de software"


def test_a_field_alone_is_not_cut_into_a_degree_without_a_degree_word():
    from extraction.extractors.learned import context
    from extraction.extractors.learned.model import default_model

    with context.using(default_model()):
        assert not education._degree_like("Information")
    assert education._degree_like("Bachelor")


# --------------------------------------------------------------------------- places
def test_a_labelled_postal_line_names_the_city():
    assert places.parse_labelled_city("Postal Code & City  12345 Springfield") == {
        "city": "Springfield"
    }
    assert places.parse_labelled_city("City: Lowtown") == {"city": "Lowtown"}
    assert places.parse_labelled_city("City of dreams, a sentence that goes on") is None


def test_an_address_with_a_dash_a_postcode_or_a_bracketed_code_names_the_city():
    assert places.parse_address("10 Main Street – Springfield, IL, USA") == {
        "city": "Springfield",
        "countryCode": "US",
    }
    assert places.parse_address("Hauptstr. 5, 10115 Lowtown, Germany") == {
        "city": "Lowtown",
        "countryCode": "DE",
    }
    assert places.parse_location("Springfield (USA), IL") == {
        "city": "Springfield",
        "countryCode": "US",
    }


def test_icons_between_the_runs_of_a_contact_row_leave_no_column_gap():
    from extraction.extractors.local_rules.text import prepare_layout

    lines, runs, _ = prepare_layout(
        "Jane Quill\n\uf0e0  jane@example.org  \uf095 +1 555 0100  \uf041 Springfield, IL, US\n"
        "\uf099 https://example.org/jq\n\uf0e1 https://example.org/in/jq\n"
    )
    assert lines[1] == "jane@example.org +1 555 0100 Springfield, IL, US"
    assert runs[1] == ("jane@example.org", "+1 555 0100", "Springfield, IL, US")


def test_a_date_column_entry_takes_its_school_under_the_degree():
    # A date-column layout prints the dates alone, then "degree en field",
    # then the school.
    text = (
        "Jane Roe\n"
        "Educación\n"
        "2016 – 2021\n"
        "Bachelor en Ingeniería de Sistemas\n"
        "Facultad de Ingeniería Mecánica y Eléctrica\n"
        "8.0\n"
        "Habilidades\n"
        "Python, Go\n"
    )
    edu = LocalExtractor(model=None).extract(text, deadline=0).resume["education"]
    assert [(e.get("institution"), e.get("studyType"), e.get("area")) for e in edu] == [
        ("Facultad de Ingeniería Mecánica y Eléctrica", "Bachelor", "Ingeniería de Sistemas")
    ]
