"""Local extractor rules for the skills section and the headings around it, on
hand-made inputs: lists one item per line, indented lists, separators, wrapped
names and items, labels that look like headings. People are invented."""

from __future__ import annotations

from extraction.extractors.local import extract_raw
from extraction.extractors.local_rules.text import prepare_layout
from extraction.extractors.local_sections import segment


def _skills(body: str) -> list[dict]:
    return extract_raw("Jane Quill\njane@example.org\nSkills\n" + body).get("skills", [])


def _items(body: str) -> set[str]:
    return {k for s in _skills(body) for k in [s.get("name", "")] + s.get("keywords", []) if k}


# --------------------------------------------------------------------------- lists
def test_one_item_per_line_keeps_each_line_whole():
    items = _items("Data Pipelines\nCLI Tools\nRobotics (ROS)\nAn Unhealthy Amount of Cobol\n")
    assert items == {
        "Data Pipelines",
        "CLI Tools",
        "Robotics (ROS)",
        "An Unhealthy Amount of Cobol",
    }


def test_a_comma_inside_an_item_of_a_one_per_line_list_stays():
    items = _items(
        "Practices\nTest Driven Development (Unit, Mutation)\nMentoring, Teaching & Presenting\n"
        "Pair Programming\nCode Review\nObservability\n"
    )
    assert "Mentoring, Teaching & Presenting" in items
    assert "Mentoring" not in items


def test_dot_separated_keywords_keep_their_commas():
    items = _items(
        "Architecture\nExpert\nMonoliths, services and the in-between ·\nDesign ·\nAPIs\n"
    )
    assert {"Monoliths, services and the in-between", "Design", "APIs"} <= items


def test_a_name_before_a_level_word_names_a_group():
    groups = _skills(
        "Leadership & Communication Skills\nAdvanced\nMentoring ·\nEmpathy\n"
        "Backend Programming\nExpert\nCobol · Fortran\n"
    )
    assert groups == [
        {
            "name": "Leadership & Communication Skills",
            "level": "Advanced",
            "keywords": ["Mentoring", "Empathy"],
        },
        {"name": "Backend Programming", "level": "Expert", "keywords": ["Cobol", "Fortran"]},
    ]


def test_capitalised_names_run_together_are_split():
    assert _items("Cobol Fortran Pascal Ada\n") == {"Cobol", "Fortran", "Pascal", "Ada"}


def test_indented_items_under_their_name():
    text = (
        "Skills\nBackend\n\t\tCobol\n\t\tThreat Modeling\n\t\tCI / CD (Jenkins / Make)\n"
        "Tools\n\t\tVim\n"
    )
    doc = extract_raw("Jane Quill\njane@example.org\n" + text)
    assert [(s.get("name"), s.get("keywords")) for s in doc["skills"]] == [
        ("Backend", ["Cobol", "Threat Modeling", "CI / CD (Jenkins / Make)"]),
        ("Tools", ["Vim"]),
    ]


def test_indented_names_over_their_items():
    text = "Skills\n\t\tBackend Languages\nCobol\nFortran\n\t\tData Stores\nPostgres\nRedis\n"
    doc = extract_raw("Jane Quill\njane@example.org\n" + text)
    assert [(s.get("name"), s.get("keywords")) for s in doc["skills"]] == [
        ("Backend Languages", ["Cobol", "Fortran"]),
        ("Data Stores", ["Postgres", "Redis"]),
    ]


def test_indentation_is_read_from_tabs_only():
    lines, _, indented = prepare_layout("Skills\n\t\tCobol\n  Fortran\n")
    assert lines == ["Skills", "Cobol", "Fortran"]
    assert indented == [False, True, False]


# --------------------------------------------------------------------------- wrapped
def test_an_item_wrapped_inside_its_parentheses_is_joined():
    items = _items(
        "Serverless  Database Management (Postgres,\nRedis)\n"
        "Monitoring (Grafana, New\nRelic)  Shell\n"
    )
    assert {"Database Management (Postgres, Redis)", "Monitoring (Grafana, New Relic)"} <= items
    assert "Relic)" not in items and "Redis)" not in items


def test_an_abbreviation_alone_on_the_next_line_joins_its_item():
    items = _items("Infrastructure as Code  Continuous Delivery\n(CD)\nCobol  Fortran\n")
    assert "Continuous Delivery (CD)" in items


def test_a_name_list_line_wrapped_goes_on():
    groups = _skills(
        "Backend: Data Pipelines, CLI Tools, Robotics\n(ROS)\n"
        "Tooling: Template Design, Package\nDesign\nData Stores: Cobol,\nFortran, Ada\n"
    )
    kws = {k for g in groups for k in g.get("keywords", [])}
    assert {"Robotics (ROS)", "Package Design", "Cobol", "Fortran", "Ada"} <= kws


def test_a_name_wrapped_before_an_ampersand_is_joined():
    items = _items("Additional Languages\n& Frameworks\nCobol  Fortran\n")
    assert "Additional Languages & Frameworks" in items


def test_the_skills_word_ending_a_group_name_is_not_a_new_heading():
    items = _items("Leadership & Communication\nSkills\nAdvanced\nMentoring ·\nEmpathy\n")
    assert "Leadership & Communication Skills" in items


# --------------------------------------------------------------------------- headings
def test_a_heading_word_as_a_label_inside_an_entry_is_not_a_heading():
    lines, runs, ind = prepare_layout(
        "Interests\nCommunity\nSkills: Programming Languages · Patterns\nMusic\n"
    )
    segs = segment.segment(lines, runs, ind)
    assert {s.section for s in segs} == {"interests"}


def test_an_ambiguous_heading_word_opening_a_line_is_not_a_heading():
    lines, runs, ind = prepare_layout("Skills\nThreat Modeling\nSocial Engineering\nSAST\n")
    segs = segment.segment(lines, runs, ind)
    assert [(s.text, s.section) for s in segs] == [
        ("Threat Modeling", "skills"),
        ("Social Engineering", "skills"),
        ("SAST", "skills"),
    ]


def test_languages_after_a_one_word_skill_line_is_a_heading_when_fluencies_follow():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nSkills\nCobol\n"
        "Languages\nFrançais\nNatif\nAnglais\nCourant\n"
    )
    assert [lang["language"] for lang in doc["languages"]] == ["Français", "Anglais"]
    assert "Natif" not in {
        k for s in doc["skills"] for k in [s.get("name")] + s.get("keywords", [])
    }
