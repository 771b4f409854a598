"""Local extractor rules for runs kept apart by a wide gap (two or more spaces,
as the PDF reader writes side-by-side runs of one row). Hand-made inputs;
people and companies are invented."""

from __future__ import annotations

from extraction.extractors.local import extract_raw
from extraction.extractors.local_rules import sections
from extraction.extractors.local_rules.text import prepare, prepare_cells


def _skill_items(doc: dict) -> set[str]:
    return {k for s in doc["skills"] for k in [s.get("name", "")] + s.get("keywords", []) if k}


def test_prepare_cells_keeps_the_runs_of_a_line_and_the_lines_as_prepare_does():
    text = "Jane Quill\nSDLC  Threat Modeling\tCobol\nOne space only here\n"
    lines, runs = prepare_cells(text)
    assert (
        lines
        == prepare(text)
        == [
            "Jane Quill",
            "SDLC Threat Modeling Cobol",
            "One space only here",
        ]
    )
    assert runs == [("Jane Quill",), ("SDLC", "Threat Modeling", "Cobol"), ("One space only here",)]


def test_a_line_of_one_run_has_no_cells():
    assert sections.Line("Threat Modeling", "skills", ("Threat Modeling",)).cells == ()
    assert sections.Line("A B", "skills", ("A", "B")).cells == ("A", "B")
    assert sections.Line("A B", "skills", ("A", "C")).cells == ()  # not this line's runs


def test_skill_pills_side_by_side_are_one_keyword_each():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nSkills\nSecurity\n"
        "SDLC  Threat Modeling  OWASP Top 10\nSocial Engineering  Cobol (Legacy, Batch)\n"
    )
    assert _skill_items(doc) == {
        "Security",
        "SDLC",
        "Threat Modeling",
        "OWASP Top 10",
        "Social Engineering",
        "Cobol (Legacy, Batch)",
    }


def test_a_heading_word_at_the_start_of_a_longer_run_is_not_a_heading():
    lines, runs = prepare_cells("Skills\nCobol  Fortran\nSocial Engineering  SAST\n")
    segs = sections.segment(lines, runs)
    assert [(s.text, s.section) for s in segs] == [
        ("Cobol Fortran", "skills"),
        ("Social Engineering SAST", "skills"),
    ]


def test_a_heading_that_is_a_run_of_its_own_still_heads_its_section():
    lines, runs = prepare_cells("Jane Quill\nSkills  Cobol  Fortran\n")
    segs = sections.segment(lines, runs)
    assert [(s.text, s.section, s.cells) for s in segs[1:]] == [
        ("Cobol Fortran", "skills", ("Cobol", "Fortran"))
    ]


def test_a_skill_group_name_wrapped_after_an_open_word_is_joined():
    doc = extract_raw(
        "Jane Quill\njane@example.org\nSkills\nProcessing of\nData\nKafka  Flink\n"
        "Observability and\nAnalytics\nGrafana  Loki\n"
    )
    items = _skill_items(doc)
    assert {"Processing of Data", "Observability and Analytics"} <= items
    assert {"Kafka", "Flink", "Grafana", "Loki"} <= items
    assert "Data" not in items and "Analytics" not in items
