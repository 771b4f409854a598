"""Local extractor rules for an entry's title and employer lines, with a small
hand-made line model where the model's reading matters: a title line kept as
written beside an employer line of its own, an employer written in lower case,
an employer the model took for entry text. People, companies and places are
invented."""

from __future__ import annotations

import time

from extraction.extractors.learned import context as learned
from extraction.extractors.learned.model import load_model
from extraction.extractors.local import LocalExtractor
from extraction.extractors.local_sections import work
from tests.extraction.test_line_model import LINE, PHRASE, _row, tiny_model

HEAD = "Jane Quill\njane@example.org\n\nExperience\n"


def _jobs(text: str, model) -> list[tuple]:
    out = LocalExtractor(model=model).extract(HEAD + text, deadline=time.monotonic() + 30)
    return [(j.get("name"), j.get("position")) for j in out.resume.get("work", [])]


# A phrase model sure that "Widget Insurance" is an employer and "Rails
# Developer" a title: it would cut the employer off any title naming it.
PHRASES = load_model(
    tiny_model(
        phrase_weights={
            "w=widget": _row(PHRASE, "employer"),
            "w=insurance": _row(PHRASE, "employer"),
            "w=rails": _row(PHRASE, "position"),
            "w=developer": _row(PHRASE, "position"),
        }
    )
)


def test_a_title_line_beside_an_employer_line_of_its_own_is_kept_whole():
    with learned.using(PHRASES):
        both = work._work(["Rails Developer - Widget Insurance", "Widget Insurance"])
        below = work._work(["Widget Insurance", "Rails Developer at Widget Insurance"])
        alone = work._work(["Rails Developer - Widget Insurance"])
    assert both == {"position": "Rails Developer - Widget Insurance", "name": "Widget Insurance"}
    assert below == {
        "position": "Rails Developer at Widget Insurance",
        "name": "Widget Insurance",
    }
    # on one line the title and the employer are still two values
    assert alone == {"position": "Rails Developer", "name": "Widget Insurance"}
    # as they are when the other line is not the employer's own
    with learned.using(PHRASES):
        placed = work._work(["Rails Developer - Widget Insurance", "Lowtown"])
    assert placed.get("position") != "Rails Developer - Widget Insurance"


def test_a_lower_case_employer_the_model_reads_as_an_employer_heads_its_entry():
    text = "Backend Engineer\nzorblax\nJan 2015 – Oct 2016\nBuilt things for clients.\n"
    sure = load_model(tiny_model({"sq=zorblax": _row(LINE, "employer", 20.0)}))
    assert _jobs(text, sure) == [("zorblax", "Backend Engineer")]
    # a lower-case line the model does not read as a name is no employer
    assert _jobs(text, load_model(tiny_model())) == []


def test_an_employer_line_between_a_sure_title_and_the_dates_is_no_entry_text():
    # the model reads "Northfield Trust for Widgets" as entry text; between a
    # title it is sure of and the dates, it is the rest of the header
    text = (
        "Senior Engineer\nNorthfield Trust for Widgets\nNov 2020 – Jan 2022\n"
        "Built a widget for the trust.\n"
    )
    body = {"sq=northfieldtrustforwidgets": _row(LINE, "other", 20.0)}
    title = {"sq=seniorengineer": _row(LINE, "position", 20.0)}
    sure = load_model(tiny_model({**body, **title}))
    assert _jobs(text, sure) == [("Northfield Trust for Widgets", "Senior Engineer")]
    # under a line the model is not sure is a title, it stays entry text
    unsure = load_model(tiny_model(body))
    assert ("Northfield Trust for Widgets", "Senior Engineer") not in _jobs(text, unsure)
