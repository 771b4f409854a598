"""Dates and date ranges as CVs write them, in several languages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from extraction.resume import MONTHS, PRESENT_PHRASES, PRESENT_WORDS, parse_date

from .text import unbracketed

_MONTH_WORDS = sorted(
    (m for m in MONTHS if m.isascii() or not any(c >= "\u3000" for c in m)), key=len, reverse=True
)
MONTH = "(?:" + "|".join(re.escape(m) for m in _MONTH_WORDS) + ")"

# One date, most specific forms first.
DATE = (
    r"(?:"
    r"(?<![\d.])\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?"
    r"|(?<![\d.])\d{4}\s*年"
    r"|(?<![\w.])(?:\d{1,2}\.?\s+)?" + MONTH + r"\.?,?\s*(?:de\s+|of\s+)?'?\d{4}(?!\d)"
    r"|(?<![\d./-])\d{4}\s*[-/.]\s*\d{1,2}(?:\s*[-/.]\s*\d{1,2})?(?![\d])"
    r"|(?<![\d./-])\d{4}(?:\s*[-/.]\s*|\s+)" + MONTH + r"\.?(?![\w])"  # 2020-Mar, 2020 March
    r"|(?<![\d./-])\d{1,2}[/.]\d{1,2}[/.]\d{4}(?!\d)"
    r"|(?<![\d./-])\d{1,2}\s*[/.]\s*\d{4}(?!\d)"
    r"|(?<![\d.,/-])(?:19|20)\d{2}(?![\d])"
    r")"
)
_PRESENT_ALTS = sorted(PRESENT_WORDS | PRESENT_PHRASES, key=len, reverse=True)
PRESENT = (
    r"(?:p\s?r\s?e\s?s\s?e\s?n\s?t|"
    + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in _PRESENT_ALTS)
    + r")"
)
SEP = r"\s*(?:-{1,2}|–|—|−|~|〜|～|to|bis|until|till|au|à|al|a|hasta|até|ate|do|до|по|至|到)\s*"
# A word of its own: "Florida 01/2001 - 01/2005" does not start with "da".
SINCE = r"(?:(?<!\w)(?:since|seit|ab|depuis|desde|dal|da|sinds|od|с)|从|自)\s+"

# A range: DATE SEP (DATE | PRESENT)?, or SINCE DATE.
RANGE_RE = re.compile(
    r"(?P<start>"
    + DATE
    + r")(?:"
    + SEP
    + r"(?:(?P<end>"
    + DATE
    + r")|(?P<present>"
    + PRESENT
    + r"))?)?(?-i:(?![a-z]))"
    r"|" + SINCE + r"(?P<since>" + DATE + r")",
    re.IGNORECASE,
)
DATE_RE = re.compile(DATE, re.IGNORECASE)
_YEAR_ONLY = re.compile(r"(?:19|20)\d{2}")
_DURATION = re.compile(
    r"[(·•|,]?\s*\d+\s*(?:years?|yrs?|months?|mos?|jahre?n?|monate?n?|años?|meses|ans?|mois|anni|"
    r"mesi|anos?|jaar|maanden|lat|miesięcy|лет|года?|месяц\w*|年|个月|ヶ月)\b\.?"
    r"(?:\s*+,?\s*+\d+\s*(?:months?|mos?|monate?n?|meses|mois|mesi|maanden|miesięcy|месяц\w*|个月)\b)?"
    r"\s*\)?",
    re.IGNORECASE,
)


@dataclass
class DateRange:
    start: str | None
    end: str | None
    present: bool
    span: tuple[int, int]

    @property
    def has_range(self) -> bool:
        return self.end is not None or self.present


_HAS_DIGIT = re.compile(r"\d")


def find_range(line: str) -> DateRange | None:
    """The first date range (or lone date) in `line`, or None.

    A year alone counts only in a range ("2008 – 2014", "2019 – heute") or
    when it is all the line says, so that "16 million users in 2022" is not
    taken for a date.
    """
    if not _HAS_DIGIT.search(line):  # every date form has a digit
        return None
    found = _find_range(line)
    # a copy: callers may keep the result, the cache keeps its own
    return DateRange(found.start, found.end, found.present, found.span) if found else None


# Characters that do not count as "the rest of the line" beside a lone year.
_AROUND_YEAR = " .,;:()[]|-–—"


@lru_cache(maxsize=4096)
def _find_range(line: str) -> DateRange | None:
    # Where the line's text starts and ends, for a lone year: found once, as a
    # copy of the line per lone year ("1999 1999 1999 ...") was quadratic.
    first = len(line) - len(line.lstrip(_AROUND_YEAR))
    last = len(line.rstrip(_AROUND_YEAR))
    for m in RANGE_RE.finditer(line):
        if m.group("since"):
            start = parse_date(_clean(m.group("since")))
            if start:
                return DateRange(start, None, True, m.span())
            continue
        start = parse_date(_clean(m.group("start")))
        if not start:
            continue
        end = parse_date(_clean(m.group("end"))) if m.group("end") else None
        present = bool(m.group("present"))
        sep_only = not end and not present and m.end() > m.end("start")
        if sep_only:  # "2025-07 —" with nothing after: still going
            tail = line[m.end() :].strip()
            present = not tail or not tail[0].isdigit()
        year_only = _YEAR_ONLY.fullmatch(m.group("start").strip())
        # a lone year with text beside it (not only separators): inside a sentence
        if year_only and not (end or present) and (first < m.start() or last > m.end()):
            continue
        return DateRange(start, end, present, m.span())
    return None


def _clean(s: str) -> str:
    s = re.sub(r"\s+", " ", s.strip())
    s = re.sub(r"\s*年\s*", "年", s)
    s = re.sub(r"(\d)\s*([/.-])\s*(\d)", r"\1\2\3", s)
    return s


def is_duration(line: str) -> bool:
    """`line` says only how long something lasted ("8 ans 11 mois", "(2 yrs 3 mos)")."""
    m = _DURATION.match(line.strip())
    return bool(m) and m.end() == len(line.strip())


def remove_range(line: str, r: DateRange) -> str:
    """`line` without the date range and a following duration ("1 year 9 months")."""
    tail = line[r.span[1] :]
    m = _DURATION.match(tail.lstrip())
    if m:  # a duration printed right after the dates: "2019 - 2021 (2 years)"
        tail = tail.lstrip()[m.end() :]
    out = line[: r.span[0]] + " " + tail
    return unbracketed(re.sub(r"\s+", " ", out))
