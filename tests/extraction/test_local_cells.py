"""Local extractor rules for runs kept apart by a wide gap (two or more spaces,
as the PDF reader writes side-by-side runs of one row). Hand-made inputs;
people and companies are invented."""

from __future__ import annotations

from extraction.extractors.local import extract_raw
from extraction.extractors.local_rules import line
from extraction.extractors.local_rules.text import prepare, prepare_cells
from extraction.extractors.local_sections import segment


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
    assert line.Line("Threat Modeling", "skills", ("Threat Modeling",)).cells == ()
    assert line.Line("A B", "skills", ("A", "B")).cells == ("A", "B")
    assert line.Line("A B", "skills", ("A", "C")).cells == ()  # not this line's runs


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
    segs = segment.segment(lines, runs)
    assert [(s.text, s.section) for s in segs] == [
        ("Cobol Fortran", "skills"),
        ("Social Engineering SAST", "skills"),
    ]


def test_a_heading_that_is_a_run_of_its_own_still_heads_its_section():
    lines, runs = prepare_cells("Jane Quill\nSkills  Cobol  Fortran\n")
    segs = segment.segment(lines, runs)
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


# --------------------------------------------------------------------------- text columns
def _side_by_side(left: list[str], right: list[str], gutter: int = 30) -> list[str]:
    rows = max(len(left), len(right))
    left = left + [""] * (rows - len(left))
    right = right + [""] * (rows - len(right))
    return [(a.ljust(gutter) + b).rstrip() for a, b in zip(left, right, strict=True)]


SIDEBAR_TEXT = [
    "Skills",
    "Python",
    "",
    "SQL  Go",
    "Rust",
    "",
    "",
    "Languages",
    "English",
    "German",
    "",
    "Spanish",
    "Tools",
    "Git",
    "",
    "Docker",
    "",
]
MAIN_TEXT = [
    "Work",
    "Engineer, Widgetry  2019 - 2024",
    "Built the billing service and",
    "its tests.",
    "",
    "Developer, Quillworks  2015 - 2019",
    "Kept the shop online.",
    "",
    "",
    "Education",
    "",
    "BSc Computing, Northfield  2011 - 2015",
    "Thesis on queues.",
    "",
]


def test_a_sidebar_beside_the_main_column_in_plain_text_is_read_a_column_at_a_time():
    text = "\n".join(
        ["Jane Quill", "jane@example.org", "", *_side_by_side(SIDEBAR_TEXT, MAIN_TEXT)]
    )
    lines = prepare(text)
    side = [t for t in SIDEBAR_TEXT if t]
    assert lines.index("Docker") < lines.index("Work")
    assert lines.index("Engineer, Widgetry 2019 - 2024") < lines.index("Education")
    assert lines[lines.index("Skills") : lines.index("Skills") + 3] == [
        "Skills",
        "Python",
        "SQL Go",
    ]
    assert all(t.replace("  ", " ") in lines for t in side)


def test_a_grid_of_skill_groups_in_plain_text_is_not_taken_for_two_columns():
    left = [
        "Backend",
        "Java · PHP",
        "",
        "Help Desk",
        "Jira · ITSM",
        "",
        "Cloud",
        "AWS",
        "",
        "Data",
        "SQL",
        "",
        "Testing",
        "pytest",
    ]
    right = [
        "Frontend",
        "HTML · CSS",
        "",
        "Management",
        "Budgets",
        "",
        "Mobile",
        "Kotlin",
        "",
        "Design",
        "Figma",
        "",
        "Ops",
        "Ansible",
    ]
    lines = prepare("\n".join(["Jane Quill", "Skills", *_side_by_side(left, right)]))
    assert lines[2:6] == ["Backend", "Java · PHP", "Frontend", "HTML · CSS"]


def test_a_date_column_in_plain_text_stays_beside_its_titles():
    rows = []
    for i in range(8):
        rows += [
            f"20{10 + i} - 20{11 + i}".ljust(20) + f"Engineer {i}, Widgetry",
            " " * 20 + "Did things.",
        ]
    lines = prepare("\n".join(["Jane Quill", "Work", *rows]))
    assert lines[2:5] == ["2010 - 2011", "Engineer 0, Widgetry", "Did things."]
