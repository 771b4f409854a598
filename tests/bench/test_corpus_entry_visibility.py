"""The corpus generator counts an education entry's degree (`studyType`) and
field (`area`) as printed only where the document prints them.

Found as a bare substring anywhere, a theme with no place for them (it shows
the school, the dates and the courses) was still asked for them whenever the
same letters stood elsewhere ("BS" inside "jobs", "Computer Science" among the
skills), so the scorer asked the extractor for values no reader could give.
Two checks now: the value as words of their own (`word_shows`), and a probe
of the template (`probe_truth`, `unprinted_keys`): the person rendered with
marks for those values, a mark the output does not show being a value the
template does not print.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tools.cvcorpus.common import (
    Part,
    Person,
    hidden_keys,
    probe_truth,
    unprinted_keys,
    with_unprinted,
    word_shows,
)

SCHOOL = "Universidad de Chile"
THEMES = Path(__file__).resolve().parents[2] / "tools" / "cvcorpus" / "themes"


def _truth(**entry) -> dict:
    return {
        "basics": {"name": "Ada Example", "location": {"city": "Lowtown"}},
        "work": [{"name": "Acme", "position": "Engineer"}],
        "education": [{"institution": SCHOOL, **entry}],
    }


def test_a_degree_printed_as_words_of_its_own_is_printed():
    text = f"Ada Example\nLowtown\nEducation\n{SCHOOL}\nComputer Science, Bachelor\n2010 - 2014"
    truth = _truth(area="Computer Science", studyType="Bachelor")
    assert word_shows("Computer Science", text)
    assert not [k for k in hidden_keys(truth, text, []) if k.startswith("education")]


def test_a_degree_inside_a_longer_word_is_not_printed():
    text = f"Education\n{SCHOOL}\n2010 - 2014\nJobs and internships"
    assert not word_shows("BS", text)
    assert not word_shows("Arts", "Martha Example")
    assert "education[0].studyType" in hidden_keys(_truth(studyType="BS"), text, [])


def test_a_date_run_into_the_degree_leaves_it_printed():
    # a PDF's text can join a date column to the line beside it
    assert word_shows("Master of Science (MS)", "08.2018–06.2021Master of Science (MS) in X")


def test_a_field_wrapped_or_letter_spaced_is_printed():
    assert word_shows("Computer Science", f"{SCHOOL}\nBachelor of Computer\nScience")
    assert word_shows("Computer Science", "C O M P U T E R   S C I E N C E")


def test_the_probe_marks_every_probed_value_and_leaves_the_rest():
    truth = _truth(area="Physics", studyType="BSc", startDate="2010-01-01")
    probe, marks = probe_truth(truth)
    assert set(marks) == {
        "basics.location.city",
        "work[0].name",
        "work[0].position",
        "education[0].institution",
        "education[0].area",
        "education[0].studyType",
    }
    assert len(set(marks.values())) == len(marks)
    assert probe["education"][0]["area"] == marks["education[0].area"]
    assert probe["education"][0]["startDate"] == "2010-01-01"
    assert probe["basics"]["name"] == "Ada Example"
    assert truth["education"][0]["area"] == "Physics"  # the truth itself is untouched


def test_a_mark_the_template_does_not_show_is_unprinted():
    _, marks = probe_truth(_truth(area="Physics", studyType="BSc"))
    m = marks
    html = (
        f"<html><head><title>{m['education[0].area']}</title></head><body>"
        f"<h1>Ada</h1><p>{m['basics.location.city'].upper()}</p>"
        f"<div>{m['work[0].name']} &middot; {m['work[0].position']}</div>"
        f"<div class=school>{m['education[0].institution']}</div>"
        f"<script>var x = '{m['education[0].studyType']}';</script>"
        f"<!-- {m['education[0].studyType']} --></body></html>"
    )
    # the head, a script and a comment are not printed; a theme's capitals are
    assert unprinted_keys(html, marks) == ["education[0].area", "education[0].studyType"]


def test_unprinted_keys_join_the_hidden_ones_once():
    assert with_unprinted(["a", "b"], ["b", "c"]) == ["a", "b", "c"]
    assert with_unprinted(["a"], None) == ["a"]


def test_a_recorded_document_keeps_what_its_template_does_not_print(tmp_path):
    truth = _truth(area="Physics", studyType="BSc")
    person = Person("c-900", "en", truth, json.dumps(truth).encode())
    part = Part(tmp_path, layout="probe-test", family="theme-probe-test")
    (tmp_path / part.file_name(person, "txt")).write_text("x", encoding="utf-8")
    # the text prints "Physics" (in the skills), the template has no place for it
    text = f"Ada Example\nLowtown\nSkills\nPhysics\nEducation\n{SCHOOL}\nBSc"
    part.add(person, "txt", text=text, unprinted=["education[0].area"])
    row = json.loads((tmp_path / "parts" / "probe-test.jsonl").read_text().splitlines()[0])
    assert "education[0].area" in row["hidden"]
    assert "education[0].studyType" not in row["hidden"]
    assert row["unprinted"] == ["education[0].area"]


@pytest.mark.skipif(
    not shutil.which("node")
    or not (THEMES / "node_modules").is_dir()
    or subprocess.run(
        ["node", "-e", "require.resolve('jsonresume-theme-class')"],
        cwd=THEMES,
        capture_output=True,
    ).returncode,
    reason="the corpus generator's npm themes are not installed (make corpus installs them)",
)
def test_a_theme_with_no_place_for_degrees_is_probed_as_such(tmp_path):
    from tools.cvcorpus.themes import probe

    truth = _truth(area="Physics", studyType="BSc")
    person = Person("c-900", "en", truth, json.dumps(truth).encode())
    got = probe("class", [person], tmp_path)["c-900"]
    assert "education[0].area" in got and "education[0].studyType" in got
    assert "education[0].institution" not in got and "work[0].name" not in got


def test_a_value_of_several_words_run_into_the_next_column_is_printed():
    assert word_shows("Tecnologías de la Información", "en Tecnologías de la InformaciónAug 2014")
    assert not word_shows("Arte", "Licenciado - Artes Visuales")
