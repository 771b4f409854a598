"""The corpus generator prints every date with the precision its truth has.

The scorer compares dates at the truth's precision (YYYY-MM where the truth has
a month), and a person's truth is shared by all of that person's documents, so
a layout that printed "2019" for a truth of 2019-03 made a perfect reading of
the document count as wrong.
"""

from __future__ import annotations

import random

import pytest

from extraction.extractors.local_rules.dates import find_range
from tools.cvcorpus.cvwords import Style


class _Person:
    lang = "en"


@pytest.mark.parametrize("seed", range(40))
def test_every_picked_date_form_keeps_the_month_of_the_truth(seed):
    style = Style.pick(_Person(), random.Random(seed))
    printed = style.period({"startDate": "2019-03-01", "endDate": "2021-06-15"})
    r = find_range(printed)
    assert r is not None, printed
    assert (r.start, r.end) == ("2019-03", "2021-06"), (style.date_form, printed)


def test_a_year_only_truth_is_printed_as_a_year():
    for form in ("numeric", "short", "long", "dotted"):
        style = Style.pick(_Person(), random.Random(0), date_form=form)
        assert style.date("2019") == "2019"


def test_the_dotted_form_is_picked_and_read_back():
    forms = {Style.pick(_Person(), random.Random(s)).date_form for s in range(40)}
    assert forms == {"numeric", "short", "long", "dotted"}
    style = Style.pick(_Person(), random.Random(0), date_form="dotted")
    assert style.date("2020-11") == "11.2020"
