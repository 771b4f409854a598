"""The corpus generator counts a job's or a school's date as printed only where
the document prints it (tools/cvcorpus, `unprinted_dates`).

Some themes print only a school's end date, or no school dates at all. The
scorer scored those documents against dates they never show, so no reader
could be right about them; a hidden date is scored as one to be read as
missing, which is what such a document says."""

from __future__ import annotations

from tools.cvcorpus.common import _month_forms, hidden_keys, unprinted_dates

TRUTH = {
    "basics": {"name": "Ada Example"},
    "work": [
        {"name": "Acme", "startDate": "2019-03-01", "endDate": "2021-06"},
        {"name": "Initech", "startDate": "2016-01"},
    ],
    "education": [{"institution": "Uni", "startDate": "2011-09", "endDate": "2015-07-15"}],
}


def test_every_date_printed_hides_none():
    text = "Acme\nMar 2019 - Jun 2021\nInitech\n01/2016 - Present\nUni\nSep 2011 – Jul 2015"
    assert unprinted_dates(TRUTH, text) == []


def test_a_school_with_no_dates_hides_both():
    text = "Acme\nMar 2019 - Jun 2021\nInitech\nJan 2016 - Present\nUni\nBSc Physics"
    assert unprinted_dates(TRUTH, text) == [
        "education[0].startDate",
        "education[0].endDate",
    ]
    # and hidden_keys says so, the scorer's key for each
    assert {"education[0].startDate", "education[0].endDate"} <= set(hidden_keys(TRUTH, text, []))


def test_a_school_with_its_end_date_only_hides_the_start():
    text = "Acme\nMar 2019 - Jun 2021\nInitech\nJan 2016 - Present\nUni\nJuly 2015"
    assert unprinted_dates(TRUTH, text) == ["education[0].startDate"]


def test_a_month_not_printed_where_months_are_is_hidden_though_its_year_shows():
    # The job's start month is not printed; 2019 shows in another job.
    text = "Acme\nJun 2021\nInitech\nJan 2016 - Mar 2019\nUni\nSep 2011 – Jul 2015"
    truth = {**TRUTH, "work": [{"name": "Acme", "startDate": "2018-05", "endDate": "2021-06"}]}
    assert unprinted_dates(truth, text) == ["work[0].startDate"]


def test_a_section_printed_as_years_shows_a_date_by_its_year():
    text = "Acme\n2019 - 2021\nInitech\n2016 - Present\nUni\n2011 - 2015"
    assert unprinted_dates(TRUTH, text) == []
    text = "Acme\n2019 - 2021\nInitech\n2016 - Present\nUni\n2015"
    assert unprinted_dates(TRUTH, text) == ["education[0].startDate"]


def test_a_year_printed_elsewhere_keeps_the_date_scored():
    # A school's start year that a job's dates print too cannot be told from it.
    truth = {**TRUTH, "education": [{"institution": "Uni", "startDate": "2016", "endDate": "2019"}]}
    text = "Acme\nMar 2019 - Jun 2021\nInitech\nJan 2016 - Present\nUni"
    assert unprinted_dates(truth, text) == []


def test_dates_printed_a_letter_a_line_are_printed():
    text = "\n".join("Acme Mar 2019 - Jun 2021 Initech Jan 2016 Uni Sep 2011 - Jul 2015")
    assert unprinted_dates(TRUTH, text) == []


def test_odd_truth_values_are_left_alone():
    truth = {
        "work": [{"startDate": "soon"}, "not an entry", {"endDate": None}],
        "education": "none",
    }
    assert unprinted_dates(truth, "Acme") == []


def test_a_date_wrapped_in_a_laid_out_column_is_printed():
    # pdftotext -layout of a theme whose date column is narrow
    text = (
        "Acme Mar 2019 - Jun\n"
        "      \uf08e                          2021\n"
        "Initech    Jan 2016 - Present\nUni   Sep 2011 – Jul 2015"
    )
    assert unprinted_dates(TRUTH, text) == []
    # a month name ending a line is not the date when its year is not there
    text = text.replace("2021", "2020")
    assert unprinted_dates(TRUTH, text) == ["work[0].endDate"]


def test_a_months_match_by_chance_does_not_make_a_section_print_months():
    # The school prints years; the job's "May 2015" is the school's end month.
    truth = {
        "work": [{"name": "Acme", "startDate": "2015-05", "endDate": "2021-06"}],
        "education": [{"institution": "Uni", "startDate": "2011-09", "endDate": "2015-05"}],
    }
    text = "Acme\nMay 2015 - Jun 2021\nUni\n2011 - 2015"
    assert unprinted_dates(truth, text) == []
    # With its year not printed, the school's start is not printed.
    assert unprinted_dates(truth, text.replace("2011 - ", "")) == ["education[0].startDate"]


def test_a_month_run_into_its_words_is_found_in_tight_text_only():
    # "marzo de 2019" a letter a line; "de" run into the year is no form of
    # ordinary text, which keeps its word boundaries as years_only_sections has them.
    truth = {"work": [{"name": "Acme", "startDate": "2019-03", "endDate": "2019-03"}]}
    assert unprinted_dates(truth, "\n".join("Acme marzo de 2019")) == []
    assert unprinted_dates(truth, "Acme marzo de2019") == []  # its year printed
    assert _month_forms("2019", 3).search("marzo de 2019")
    assert not _month_forms("2019", 3).search("marzo de2019")
    assert _month_forms("2019", 3, tight=True).search("acmemarzode2019")
