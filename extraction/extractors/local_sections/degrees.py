"""Degrees as CVs write them ("BS", "Bachelor of Science", "Licenciatura") and
the split of a degree line into degree and field, shared by the entry rules
and the education rules."""

from __future__ import annotations

import re

from ..learned import context as learned
from ..local_rules.scores import degree_score, institution_score

# A degree written first: "BS", "B.S.", "M.Sc.", "PhD", "High School", "Bachelor
# of Science", "Master of Arts", "Diplom-Ingenieur" ... the rest of the line is the area.
_DEGREE = (
    r"(?:(?:bachelor|master|doctor)(?:'?s)?(?:\s+of\s+(?:[\w.]+\s+)?"
    r"(?:science|arts|engineering|business administration|laws|fine arts|philosophy|"
    r"technology|education|computer applications|commerce))?"
    r"|ph\.?\s?d\.?|mba|b\.?\s?sc\.?|m\.?\s?sc\.?|b\.?\s?s\.?|m\.?\s?s\.?|b\.?\s?a\.?|m\.?\s?a\.?"
    r"|b\.?\s?eng\.?|m\.?\s?eng\.?|b\.?\s?tech\.?|m\.?\s?tech\.?|m\.?\s?res\.?|m\.?\s?phil\.?"
    r"|high school(?: diploma)?|diplom(?:a)?(?:-\w+)?|licence|licenciatura|grado|máster|master"
    r"|maestría|doctorado|laurea(?: magistrale| triennale)?|mestrado|bacharelado|dut|bts"
    r"|magister|licencjat|бакалавр|магистр|学士|硕士|博士|本科|修士)"
    r"(?:\s+degree)?"
)
# A degree written first: "BS", "B.S.", "M.Sc.", "PhD", "High School", "Bachelor
# of Science", "Master of Arts", "Diplom-Ingenieur", "Bachelor & Master" ... the
# rest of the line is the area.
_DEGREES = _DEGREE + r"(?:\s*(?:&|/|\+|and|und|et|y|e)\s*" + _DEGREE + r")?"
# A line that is a degree and nothing else ("Bachelor of Science", "MSc").
DEGREE_ONLY = re.compile(_DEGREES, re.IGNORECASE)
_DEGREE_HEAD = re.compile(
    r"^(?P<deg>" + _DEGREES + r")"
    r"(?:\s*[:,\-–]\s*|\s+(?:in|en|em|im|of|de|in der)\s+|\s+)(?P<area>\S.*)$",
    re.IGNORECASE,
)
# "Degree in Area": the first " in " of a stripped line, tried only where a run
# of spaces starts, so that no run is scanned once per position inside it.
_DEGREE_IN = re.compile(r"(?<!\s)\s+(?:in|en|em|im|in der|en el)\s+(.+)$")


def split_degree(text: str) -> tuple[str, str | None]:
    """(studyType, area) of a degree line: "BS Computer Science" -> ("BS",
    "Computer Science"); "Bachelor of Science: Physics" -> ("Bachelor of
    Science", "Physics"); "Master in Data Science" -> ("Master", "Data Science")."""
    t = text.strip()
    # "Degree: Area" at the first colon after the first character (string
    # operations: a lazy `^(.+?)\s*:` is quadratic on a long run of spaces)
    colon = min((k for k in (t.find(":", 1), t.find("：", 1)) if k >= 0), default=-1)
    if 0 < colon < len(t) - 1 and degree_score(t[:colon]) > 0:
        return t[:colon].strip(), t[colon + 1 :].strip()
    if DEGREE_ONLY.fullmatch(t):
        return t, None
    written = _written_split(t)
    if written is not None:
        return written
    m = _DEGREE_HEAD.match(t)
    if m and m.group("area") and not re.match(r"(?i)^(?:&|and|und|y|et)(?:\s|$)", m.group("area")):
        area = m.group("area").strip(" ,;-–")
        if area and degree_score(area) == 0 or area and len(area.split()) > 2:
            return m.group("deg").strip(), area
    m = _DEGREE_IN.search(t)
    if m and degree_score(t[: m.start()]) > 0:
        return t[: m.start()].strip(), m.group(1).strip()
    by_model = learned.split_degree(t.split())
    if by_model is not None:
        return by_model
    return t, None


# "Degree in Field" and "Degree - Field" as a theme or a person writes them;
# tried only where a run of spaces starts (no run scanned once per position)
_WRITTEN_SPLIT = re.compile(r"(?<!\s)\s+(?:in|[-–—])\s+")


def _written_split(text: str) -> tuple[str, str] | None:
    """ "MSc Double Degree in Cyber Security", "Bootcamp - Software
    Development": the degree's whole name before the first " in " or spaced
    dash and its field after it, where the head reads as a degree (its words,
    or the phrase model more a degree than a field) and the tail as no
    degree; None to let the other readings decide."""
    m = _WRITTEN_SPLIT.search(text)
    if not m:
        return None
    head, tail = text[: m.start()].strip(), text[m.end() :].strip(" ,;:-–—")
    if not head or not tail or len(head.split()) > 6 or head.endswith("("):
        return None
    if institution_score(head) > 0 or institution_score(tail) > 0 or DEGREE_ONLY.fullmatch(tail):
        return None
    if degree_score(head) == 0:
        p = learned.phrase(head)
        if p is None or p.get("studyType", 0.0) <= p.get("area", 0.0):
            return None
    return head, tail
