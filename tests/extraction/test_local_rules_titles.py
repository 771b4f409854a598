"""Local extractor rules for an entry's title and employer lines, with a small
hand-made line model where the model's reading matters: a title line kept as
written beside an employer line of its own. People, companies and places are
invented."""

from __future__ import annotations

from extraction.extractors.learned import context as learned
from extraction.extractors.learned.model import load_model
from extraction.extractors.local_sections import work
from tests.extraction.test_line_model import PHRASE, _row, tiny_model

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
