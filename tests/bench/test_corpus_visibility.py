"""The corpus generator counts the person's city as printed only where a reader
could find it: as a word of its own, outside the names of employers and schools.

A city found as a bare substring ("Cali" in "California") or only inside a
school's name ("University of Toronto") was scored as printed, so the scorer
asked the extractor for a value no reader of the document could give.
"""

from __future__ import annotations

from tools.cvcorpus.common import city_shows, hidden_keys


def _truth(city: str, **sections) -> dict:
    return {"basics": {"name": "Ada Example", "location": {"city": city}}, **sections}


def test_a_city_printed_in_the_header_is_printed():
    assert city_shows(_truth("Toronto"), "Toronto", "Ada Example\nToronto, ON · ada@example.com")


def test_a_city_inside_a_schools_name_only_is_not_printed():
    truth = _truth("Toronto", education=[{"institution": "University of Toronto"}])
    text = "Ada Example\nEducation\nUniversity of Toronto\n2007 - 2010"
    assert not city_shows(truth, "Toronto", text)
    assert "basics.location.city" in hidden_keys(truth, text, [])


def test_a_schools_name_wrapped_over_two_lines_still_hides_the_city():
    truth = _truth("Puebla", education=[{"institution": "Instituto Tecnológico de Puebla"}])
    text = "Education\nInstituto Tecnológico de\nPuebla\n2014 - 2019"
    assert not city_shows(truth, "Puebla", text)


def test_a_city_inside_an_employers_name_only_is_not_printed():
    truth = _truth("Paris", work=[{"name": "Paris Widgets SA", "position": "Engineer"}])
    assert not city_shows(truth, "Paris", "Work\nParis Widgets SA\nEngineer")


def test_a_city_also_printed_on_its_own_is_printed():
    truth = _truth("Toronto", education=[{"institution": "University of Toronto"}])
    text = "Ada Example\nToronto, Canada\nEducation\nUniversity of Toronto"
    assert city_shows(truth, "Toronto", text)
    assert "basics.location.city" not in hidden_keys(truth, text, [])


def test_a_city_that_is_only_part_of_a_longer_word_is_not_printed():
    assert not city_shows(_truth("Cali"), "Cali", "Ada Example\nSan Diego, California")


def test_a_sentence_naming_the_city_prints_it():
    text = "About\nI live in Seville, Spain, and have worked in support."
    assert city_shows(_truth("Seville"), "Seville", text)
