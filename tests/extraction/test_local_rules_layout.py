"""Local extractor rules on hand-made inputs: layouts, education lines, links,
places, skills and the per-field confidence. People and companies are invented."""

from __future__ import annotations

import time

from extraction.extractors.local import LocalExtractor, extract_raw
from extraction.extractors.local_rules import contacts, scores
from extraction.extractors.local_rules.dates import find_range, remove_range
from extraction.extractors.local_rules.text import prepare
from extraction.extractors.local_sections import education, segment, work


def _extract(text: str):
    return LocalExtractor().extract(text, deadline=time.monotonic() + 10)


# --------------------------------------------------------------------------- layouts
def test_side_label_printed_below_its_block_takes_the_block():
    lines = prepare(
        "Jane Quill\nContact Email jane@example.org\nLocation\n"
        "Backend: Cobol, Fortran\nTools: Vim, Make\nProfessional Skills\nSummary\n"
        "Work Experience\n2020-01-01 to Present\nEngineer at Widgetry\n"
    )
    segs = segment.segment(lines)
    by_text = {s.text: s.section for s in segs}
    assert by_text["Backend: Cobol, Fortran"] == "skills"
    assert by_text["Tools: Vim, Make"] == "skills"


def test_two_entries_side_by_side_are_split():
    text = (
        "Jane Quill\njane@example.org\nEducation\n"
        "Northfield University 2010-09 - 2014-06 Westbrook Institute\n2014-09 - 2016-06\n"
    )
    doc = extract_raw(text)
    got = [(e.get("institution"), e.get("startDate")) for e in doc["education"]]
    assert got == [("Northfield University", "2010-09"), ("Westbrook Institute", "2014-09")]


def test_layout_text_columns_become_lines_read_column_by_column():
    text = "Jane Quill\n" + "".join(f"Left cell {n}      Right cell {n}\n" for n in range(4))
    assert prepare(text)[1:] == [f"Left cell {n}" for n in range(4)] + [
        f"Right cell {n}" for n in range(4)
    ]


def test_layout_text_two_entries_side_by_side_are_read_one_after_the_other():
    text = (
        "Jane Quill\nEducation\n"
        "Northfield University,     2010-09 - 2014-06      Westbrook Institute\n"
        "Lowtown\n"
        "                           2014-09 - 2016-06\n"
        "Filler one     filler two\nFiller three     filler four\nFiller five     filler six\n"
    )
    assert prepare(text)[2:7] == [
        "Northfield University,",
        "Lowtown",
        "2010-09 - 2014-06",
        "Westbrook Institute",
        "2014-09 - 2016-06",
    ]
    doc = extract_raw(text)
    got = [(e.get("institution"), e.get("startDate")) for e in doc["education"]]
    assert got == [
        ("Northfield University, Lowtown", "2010-09"),
        ("Westbrook Institute", "2014-09"),
    ]


def test_layout_text_lone_cell_beside_a_wrapped_title_stays_on_its_row():
    text = (
        "Jane Quill\nWork\n"
        "Senior Engineer at Widgetry and Sons Limited of        Jan 2020 - Mar 2022\n"
        "Lowtown\nBuilt things.\n"
        "Filler one     filler two\nFiller three     filler four\nFiller five     filler six\n"
    )
    assert prepare(text)[2] == "Senior Engineer at Widgetry and Sons Limited of Jan 2020 - Mar 2022"


def test_duration_glued_to_a_year_is_split():
    assert prepare("Mar, 2019 - Apr, 20223 years 1 month") == [
        "Mar, 2019 - Apr, 2022 3 years 1 month"
    ]
    assert prepare("Build 20221 items") == ["Build 20221 items"]


def test_company_then_dates_then_web_address_then_title():
    text = (
        "Jane Quill\njane@example.org\nWork\nWidgetry 2019-01 — 2021-06\n"
        "widgetry.example\nSoftware Engineer\nBuilt things.\n"
    )
    (job,) = extract_raw(text)["work"]
    assert (job["name"], job["position"]) == ("Widgetry", "Software Engineer")


def test_title_word_at_the_end_marks_the_position():
    assert scores.role_score("Cryptographic Systems Engineer") > scores.role_score(
        "Gadgetry Systems"
    )
    assert work._work(["lowercaseco", "Software Engineer"]) == {
        "position": "Software Engineer",
        "name": "lowercaseco",
    }


def test_duration_inside_a_title_is_kept():
    line = "Lead - 18 months / Engineer - 13 months at Widgetry Apr 2021 - Oct 2023"
    r = find_range(line)
    assert "18 months" in remove_range(line, r)
    line2 = "Widgetry 2019 - 2021 (2 years)"
    assert remove_range(line2, find_range(line2)) == "Widgetry"


def test_the_brackets_a_range_was_printed_in_go_with_it_and_no_others():
    def rest(line: str) -> str:
        return remove_range(line, find_range(line))

    assert rest("Widgetry (2019 - 2021)") == "Widgetry"
    assert rest("(2019 - 2021) Widgetry") == "Widgetry"
    assert rest("Widgetry ( 2019 - 2021 )") == "Widgetry"
    # A name's own brackets at its end or start are the name's.
    assert (
        rest("2015 - 2017 Lowtown Institute of Gadgetry (LIG)")
        == "Lowtown Institute of Gadgetry (LIG)"
    )
    assert (
        rest("1994-09-01 to 1995-07-01  Lycée Quill (Lowtown, FR)") == "Lycée Quill (Lowtown, FR)"
    )
    assert rest("(Remote) Widgetry 2019 - 2021") == "(Remote) Widgetry"
    assert rest("Widgetry (Lowtown) (2019 - 2021)") == "Widgetry (Lowtown)"


# --------------------------------------------------------------------------- education
def test_degree_then_area():
    cases = {
        "BS Computer Science, Mathematics Minor": ("BS", "Computer Science, Mathematics Minor"),
        "B.S. Engineering Physics": ("B.S.", "Engineering Physics"),
        "Bachelor of Science: Chemistry": ("Bachelor of Science", "Chemistry"),
        "Bachelors: Biology": ("Bachelors", "Biology"),
        "Master in Data Science": ("Master", "Data Science"),
        "Bachelor of Engineering": ("Bachelor of Engineering", None),
        "High School Mathematics": ("High School", "Mathematics"),
        "硕士 计算机科学": ("硕士", "计算机科学"),
    }
    for text, want in cases.items():
        assert education.split_degree(text) == want, text


def test_comma_education_line_and_wrapped_institution():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nEducation\n"
        "Robotics, Master, Northfield University of Applied Sciences in Lowtown (NUAS)\n"
        "Jan, 2016 - Jan, 2018\n"
        "Eastvale Academy of Mathematics\nand Science\n2008-08 - 2010-05\n"
    )
    first, second = doc["education"]
    assert first["institution"].startswith("Northfield University")
    assert (first["studyType"], first["area"]) == ("Master", "Robotics")
    assert second["institution"] == "Eastvale Academy of Mathematics and Science"


def test_institution_with_its_places_stays_whole():
    entry = education._education(["Greendale University, Lowtown, Freedonia"])
    assert entry["institution"] == "Greendale University, Lowtown, Freedonia"


def test_education_without_dates():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nEducation\n"
        "The University of Westbrook\nBachelors: Chemistry\n"
    )
    (edu,) = doc["education"]
    assert edu == {
        "institution": "The University of Westbrook",
        "studyType": "Bachelors",
        "area": "Chemistry",
    }


# --------------------------------------------------------------------------- contacts
def test_network_label_with_the_user_on_the_next_line():
    profs = contacts.find_handle_profiles(["GitHub", "quilljane", "LinkedIn", "jane-quill"])
    assert [p["url"] for p in profs] == [
        "https://github.com/quilljane",
        "https://www.linkedin.com/in/jane-quill",
    ]


def test_wrapped_link_is_joined():
    lines = ["https://www.linkedin.com/in/jane-quill-", "engineer/", "Phone"]
    assert (
        contacts.join_wrapped_urls(lines)[0] == "https://www.linkedin.com/in/jane-quill-engineer/"
    )


def test_city_before_the_contact_items_of_a_line():
    doc = extract_raw(
        "Jane Quill\nEngineer\nLowtown, Germany +1 555 010 0199 jane@example.org "
        "https://quill.dev\nWork\nEngineer at Widgetry 2020 - 2022\n"
    )
    assert doc["basics"]["location"]["city"] == "Lowtown"


def test_lone_city_beside_the_contact_lines():
    doc = extract_raw(
        "Jane Quill\nEngineer\nI build things.\nLowtown\njane@example.org\n+1 555 010 0199\n"
    )
    assert doc["basics"]["location"] == {"city": "Lowtown"}


def test_extra_sites_become_profiles():
    doc = extract_raw("Jane Quill\njane@example.org\nquill.dev\ncodepen.io/quilljane (Codepen)\n")
    urls = [p["url"] for p in doc["basics"]["profiles"]]
    assert "https://codepen.io/quilljane" in urls
    assert doc["basics"]["url"] == "https://quill.dev"


def test_work_links_are_not_contact_links():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nWork\nWidgetry\n"
        "Engineer 2019-04-08 - 2022-08-29 https://widgetry.example/lab\nBuilt.\n"
    )
    assert "url" not in doc["basics"]


# --------------------------------------------------------------------------- skills
def test_wrapped_skill_group_name_is_not_a_languages_heading():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nSkills\nProgramming\nLanguages\nCobol Fortran\n"
        "Languages\nEnglish\n"
    )
    kws = {k for s in doc["skills"] for k in [s.get("name", "")] + s.get("keywords", [])}
    assert "Programming" in kws
    assert doc["languages"] == [{"language": "English"}]


# --------------------------------------------------------------------------- confidence
def test_confidence_per_field():
    out = _extract(
        "Jane Quill\nEngineer\njane@example.org\n+49 30 1234 5678\nLowtown, Germany\n"
        "Work\nSenior Engineer at Widgetry GmbH\nJan 2020 – Present\n"
        "Education\nNorthfield University\nMaster of Science in Physics\n2014 – 2016\n"
        "Skills\nBackend: Cobol, Fortran\n"
    )
    c = out.confidence
    assert c["basics.email"] == "high"
    assert c["basics.phone"] == "high"
    assert c["basics.name"] == "high"
    assert c["basics.location.city"] == "high"
    assert c["work[0].name"] == "high"
    assert c["work[0].position"] == "high"
    assert c["work[0].startDate"] == "high"
    assert c["education[0].institution"] == "high"
    assert c["education[0].studyType"] == "high"
    assert c["skills"] == "high"
    assert set(c.values()) <= {"high", "low"}
    assert not any(k.startswith("_") for k in out.resume.get("basics", {}))


def test_confidence_low_for_guesses():
    out = _extract("Jane Quill\njane@example.org\n555 010 0199\nLowtown\n")
    assert out.confidence["basics.location.city"] == "low"


# --------------------------------------------------------------------------- letter-spaced type
def test_letter_spaced_words_are_read_as_words():
    lines = prepare(
        "C O N T A C T\nA L E X  Q U I L L\nS E N I O R  E N G I N E E R\n"
        "E X P E R I E N C E  2019 - 2021\nC  R  Go\nJ. R. Quill\n"
    )
    assert lines == [
        "CONTACT",
        "ALEX QUILL",
        "SENIOR ENGINEER",
        "EXPERIENCE 2019 - 2021",
        "C R Go",
        "J. R. Quill",
    ]


def test_a_letter_spaced_name_is_found():
    doc = extract_raw(
        "A L E X  Q U I L L\nS O F T W A R E  E N G I N E E R\nalex@example.org\n"
        "E X P E R I E N C E\nWidgetry Ltd\nBackend Engineer\n2019 - 2021\n"
    )
    assert doc["basics"]["name"].casefold() == "alex quill"


# --------------------------------------------------------------------------- links beside titles
def test_a_title_line_carrying_its_link_twice_is_the_title():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nWork\n"
        "Widgetry Ltd  2019-01-01 — 2021-06-01\n"
        "Senior Software Engineer - Backend Platform  https://widgetry.example/ "
        "(https://widgetry.example/)\n"
        "Built the billing system.\n"
        "Northwind  2016-01-01 — 2018-12-01\n"
        "Software Engineer  https://northwind.example/ (https://northwind.example/)\n"
        "Kept the lights on.\n"
    )
    got = [(w.get("name"), w.get("position")) for w in doc["work"]]
    assert got == [
        ("Widgetry Ltd", "Senior Software Engineer - Backend Platform"),
        ("Northwind", "Software Engineer"),
    ]


def test_a_link_leaves_no_bracket_behind():
    assert scores._clean_part("Engineer  https://a.example/ (https://a.example/)") == "Engineer"
    assert scores._clean_part("Acme (www.acme.example)") == "Acme"
    assert scores._clean_part("Engineer (Remote)") == "Engineer (Remote)"


# --------------------------------------------------------------------------- skills with no heading
def test_a_side_column_of_skills_read_after_the_summary_is_the_skills_section():
    doc = _extract(
        "Jane Quill\nSenior Software Engineer\nSummary\nI build quiet, reliable systems.\n"
        "jane@example.org\nProgramming Languages\nPython Java\nObjective-C C# HTML\n"
        "Source Control\ngit hg\nDatabases\nMongoDB MySQL\nPostgreSQL\n"
        "Experience\nWidgetry Ltd  03/2019 - Present\nBackend Engineer\n"
        "Built the billing system.\n"
    ).resume
    names = {
        k.casefold()
        for g in doc.get("skills", [])
        for k in [g.get("name"), *g.get("keywords", [])]
        if k
    }
    assert {"python", "postgresql"} <= {w for n in names for w in n.split()}, doc.get("skills")
    assert "I build quiet, reliable systems." in doc["basics"].get("summary", "")


# ---------------------------------------------------------- title lines below the dates
def test_a_title_printed_below_the_dates_after_a_first_entry_with_both_above():
    text = (
        "Jane Quill\njane@example.org\nExperience\n"
        "Widgetry\nSenior Software Engineer\nMay 2018 - Apr 2019\n"
        "Moved the website to a new stack.\nDebugged live issues at all hours of the week.\n"
        "Northwind\nDec 2015 - Apr 2018\nQA Engineer\n"
        "Drafted test plans for product systems.\nWrote a framework for unit tests.\n"
        "Globex\nMay 2015 - Nov 2015\nArchitect\n"
        "Built automated testing.\n"
    )
    want = [
        ("Widgetry", "Senior Software Engineer"),
        ("Northwind", "QA Engineer"),
        ("Globex", "Architect"),
    ]
    doc = _extract(text).resume
    assert [(w.get("name"), w.get("position")) for w in doc["work"]] == want
    # where the model is not sure, the job's own words say the line is a title
    from extraction.extractors.local_rules.line import Line
    from extraction.extractors.local_sections import headers

    unsure = {"other": 0.92, "position": 0.08}
    assert headers._model_sure_title_line(Line("Architect", "work", probs=unsure))
    assert headers._model_sure_title_line(Line("Executive Director, Network", "work", probs=unsure))
    assert not headers._model_sure_title_line(Line("Many responsibilities", "work", probs=unsure))
    sure = {"position": 0.95}
    assert headers._model_sure_title_line(Line("Zorblax Wrangler", "work", probs=sure))


def test_the_same_field_under_several_degrees_is_each_ones_field():
    doc = _extract(
        "Jane Quill\njane@example.org\nEducation\n"
        "Northfield Institute of Technology  2022-11-01 —\nComputer Science\nMaster\n"
        "Courses\nCloud Computing\n"
        "Northfield Institute of Technology  2021-09-01 — 2022-11-01\nComputer Science\n"
        "Postgraduate\nCourses\nVirtualisation\n"
        "Westbrook University  2013-01-01 — 2015-01-01\nComputer Science\nBachelor\n"
        "Courses\nSystems Development\n"
    ).resume
    got = [(e.get("institution"), e.get("studyType"), e.get("area")) for e in doc["education"]]
    assert got == [
        ("Northfield Institute of Technology", "Master", "Computer Science"),
        ("Northfield Institute of Technology", "Postgraduate", "Computer Science"),
        ("Westbrook University", "Bachelor", "Computer Science"),
    ]


def test_an_entry_title_line_is_never_a_heading_by_the_model():
    sure = {"head_other": 0.95, "head_work": 0.01}
    assert segment._model_heading("Heal.dev | Software Engineer", sure) is None
    assert segment._model_heading("Engineer — Acme", sure) is None
    assert segment._model_heading("Tech Coach - Shodo", sure) is None
    assert segment._model_heading("Where I worked", {"head_work": 0.95}) == ("work", "")


def test_a_degree_a_dash_and_its_field_are_split():
    from extraction.extractors.learned import context as learned
    from extraction.extractors.learned.model import load_model
    from tests.extraction.test_line_model import PHRASE, _row, tiny_model

    m = load_model(
        tiny_model(
            phrase_weights={
                "w=zorbcamp": _row(PHRASE, "studyType", 2.5),  # sure, not very sure
                "w=widgetry": _row(PHRASE, "area"),
                "w=plumbing": _row(PHRASE, "area"),
            }
        )
    )
    with learned.using(m):
        assert education._degree_dash_field("Zorbcamp - Widgetry Plumbing") == (
            "Zorbcamp",
            "Widgetry Plumbing",
        )
        # a field, a dash, a specialisation: the head is no degree
        assert education._degree_dash_field("Widgetry - Plumbing") is None
        assert education._degree_dash_field("Springfield University - Widgetry") is None
        doc = education._education(["Springfield University", "Zorbcamp - Widgetry Plumbing"])
        assert (doc.get("studyType"), doc.get("area")) == ("Zorbcamp", "Widgetry Plumbing")
    # without the model, only a degree the word lists know
    assert education._degree_dash_field("Master - Computer Science") == (
        "Master",
        "Computer Science",
    )
    assert education._degree_dash_field("Physics - Optics") is None


def test_the_place_printed_after_an_employer_is_not_its_name():
    from extraction.extractors.learned import context as learned
    from extraction.extractors.learned.model import load_model
    from tests.extraction.test_line_model import PHRASE, _row, tiny_model

    parts = ["Zorblax (Quuxville)", "Senior Software Engineer"]
    m = load_model(tiny_model(phrase_weights={"w=quuxville": _row(PHRASE, "location")}))
    with learned.using(m):
        assert work._work(parts) == {"name": "Zorblax", "position": "Senior Software Engineer"}
    # a country the place rules know, with no model
    assert work._work(["Zorblax (Lyon, France)", "Senior Software Engineer"])["name"] == "Zorblax"
    # not a place: kept
    assert work._work(["Zorblax (acquired by Globex)", "Senior Software Engineer"])["name"] == (
        "Zorblax (acquired by Globex)"
    )


def test_a_wrapped_name_printed_again_whole_beside_its_last_line():
    for text, name in (
        ("Jane\nQuill  Jane Quill\nSoftware Developer\njane@example.org\n", "Jane Quill"),
        (
            "Ana María\nLópez  Ana María López\nFull Stack Developer\nana@example.org\n",
            "Ana María López",
        ),
    ):
        assert extract_raw(text)["basics"]["name"] == name


def test_a_city_said_in_a_sentence_of_the_summary():
    doc = _extract(
        "Jane Quill\nBackend Developer\njane@example.org\nAbout\n"
        "Busco oportunidades para crecer. Vivo en Quuxville, Freedonia.\n"
    ).resume
    assert doc["basics"]["location"]["city"] == "Quuxville"


def test_a_lone_place_under_the_name_where_the_phrase_model_is_sure():
    from extraction.extractors.learned.model import load_model
    from tests.extraction.test_line_model import PHRASE, _row, tiny_model

    text = "Jane Quill\nQuuxville\nAbout\nI build quiet, reliable systems.\n"
    sure = load_model(tiny_model(phrase_weights={"w=quuxville": _row(PHRASE, "location")}))
    doc = LocalExtractor(model=sure).extract(text, deadline=time.monotonic() + 10).resume
    assert doc["basics"]["location"]["city"] == "Quuxville"
    unsure = load_model(tiny_model())
    doc = LocalExtractor(model=unsure).extract(text, deadline=time.monotonic() + 10).resume
    assert "location" not in doc["basics"]


def test_a_long_title_line_under_a_date_column_where_the_model_is_sure():
    from extraction.extractors.learned.model import load_model
    from tests.extraction.test_line_model import LINE, _row, tiny_model

    text = (
        "Jane Quill\njane@example.org\nExperience\n"
        "June 2021 – September 2021\n"
        "Zorblax (Remote) — Research Intern, AI Research - Datasets & Benchmarks\n"
        "Built a benchmark of data sets for vision models.\n"
        "January 2020 – May 2020\n"
        "Globex (Remote) — Data Engineer Intern - Analytics Platform and Reporting\n"
        "Built the reporting pipelines.\n"
    )
    sure = load_model(tiny_model({"w=remote": _row(LINE, "employer_position", 20.0)}))
    doc = LocalExtractor(model=sure).extract(text, deadline=time.monotonic() + 10).resume
    got = [(w.get("name"), w.get("position"), w.get("startDate")) for w in doc["work"]]
    assert [(g[2], "Zorblax" in str(g[:2]) or "Globex" in str(g[:2])) for g in got] == [
        ("2021-06", True),
        ("2020-01", True),
    ], got


def test_jobs_printed_without_dates():
    text = (
        "Jane Quill\njane@example.org\nWork Experience\n"
        "Senior Analyst, Widgetry\nRan the billing reports, and more.\n"
        "Analyst — Northwind\n"
        "Junior Developer at Globex\n"
        "Education\nSpringfield University\n2010 - 2014\n"
    )
    doc = LocalExtractor(model=None).extract(text, deadline=time.monotonic() + 10).resume
    got = [(w.get("position"), w.get("name")) for w in doc["work"]]
    assert got == [
        ("Senior Analyst", "Widgetry"),
        ("Analyst", "Northwind"),
        ("Junior Developer", "Globex"),
    ]
    assert all("startDate" not in w for w in doc["work"])


def test_an_undated_line_is_no_job_where_the_section_has_dated_ones():
    text = (
        "Jane Quill\njane@example.org\nWork Experience\n"
        "Widgetry\nSenior Analyst\n2019 - 2021\nAnalyst — Northwind\n"
    )
    doc = LocalExtractor(model=None).extract(text, deadline=time.monotonic() + 10).resume
    assert [w.get("name") for w in doc["work"]] == ["Widgetry"]
