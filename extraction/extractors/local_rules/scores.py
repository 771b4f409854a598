"""Word detectors: how much a phrase looks like a job title, an employer, a
school or a degree, and whether a line has the shape of an entry header.

The line model's features use them, so this module imports nothing from it.
"""

from __future__ import annotations

import re

from .dates import find_range
from .headings import capitals_before_text, heading
from .text import strip_html, unbracketed
from .vocab import (
    COMPANY_SUBSTRINGS,
    COMPANY_WORDS,
    DEGREE_SUBSTRINGS,
    DEGREE_WORDS,
    INSTITUTION_SUBSTRINGS,
    INSTITUTION_WORDS,
    TITLE_SUBSTRINGS,
    TITLE_WORDS,
)

# " at " between two words of a line ("Engineer at Acme"). Searched from the
# second character on: a lazy `^(.+?)\s+at\s+(.+)$` re-scanned every run of
# spaces from each of its positions, quadratic on a long run (SPEC S-4).
_SPLIT_AT = re.compile(r"\s(?:at|@|bei|chez|en|presso|bij|в|às|na|no)\s+\S", re.IGNORECASE)
_ABBREV_END = re.compile(r"(?:^|\s)(?:[\w]{1,4}\.|(?:\w\.){2,})$")
_HTML_ANY = re.compile(r"<[^>]*>?|&[a-z]+;")
_CONTINUATION = re.compile(r"^(?:and|of|for|und|für|de|du|des|y|e|et|di|del|van|voor)\s+\S")
_BARE_DOMAIN = re.compile(
    r"(?:https?://)?(?:www\.)?(?:[a-z0-9-]+\.)+[a-z]{2,12}(?:/\S*)?", re.IGNORECASE
)
_URL_IN = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def _words(s: str) -> list[str]:
    return re.findall(r"[\w.&'-]+", s.casefold())


def _is_title_word(w: str) -> bool:
    """A title word, also inside a compound: "Software-Entwickler", "Senior-Entwickler"."""
    w = w.strip(".-()")
    return w in TITLE_WORDS or "-" in w and any(p in TITLE_WORDS for p in w.split("-") if p)


# Grades and ranks that may follow a title's head noun: "Developer II", "Engineer 3", "Lead Sr."
_RANK = re.compile(r"^(?:i{1,3}|iv|v|vi{1,3}|[1-9]|sr|jr|senior|junior|lead|principal)$")


def title_score(s: str) -> int:
    words = _words(s)
    n = sum(1 for w in words if _is_title_word(w))
    return n + sum(1 for sub in TITLE_SUBSTRINGS if sub in s)


def role_score(s: str) -> int:
    """How much `s` reads as a job title rather than an employer: title words
    count, company words count against, and a title word at the end (the
    head noun: "Software Engineer", "Systems Engineer", also before a rank:
    "Software Developer II") counts twice more."""
    words = [w.strip(".-()") for w in _words(s)]
    while len(words) > 1 and _RANK.match(words[-1]):
        words.pop()
    head = 2 if words and _is_title_word(words[-1]) else 0
    return title_score(s) - company_score(s) + head


def company_score(s: str) -> int:
    words = _words(s)
    n = sum(1 for w in words if w in COMPANY_WORDS)
    if re.search(r"\.(com|io|ai|net|org|de|co)\b", s.casefold()):
        n += 1
    return n + sum(1 for sub in COMPANY_SUBSTRINGS if sub in s)


def _word_set_re(words) -> re.Pattern:
    """One pattern finding, at every position, one of `words` as a whole word
    (longest first); overlapping words are found too."""
    alts = sorted({w.strip() for w in words}, key=len, reverse=True)
    return re.compile(r"(?=(?<!\w)(" + "|".join(re.escape(w) for w in alts) + r")(?!\w))")


_INSTITUTION_RE = _word_set_re(INSTITUTION_WORDS)
_DEGREE_RE = _word_set_re(DEGREE_WORDS)


def _count_words(rx: re.Pattern, s: str) -> int:
    """How many different words of `rx` occur in `s` as whole words."""
    return len(set(rx.findall(s.casefold())))


def institution_score(s: str) -> int:
    n = _count_words(_INSTITUTION_RE, s)
    return n + sum(1 for sub in INSTITUTION_SUBSTRINGS if sub in s)


def degree_score(s: str) -> int:
    n = _count_words(_DEGREE_RE, s)
    return n + sum(1 for sub in DEGREE_SUBSTRINGS if sub in s)


# A link printed after a title, and again in brackets as some themes print a
# link's address: "Engineer  https://acme.example/ (https://acme.example/)".
_LINK_TAIL = re.compile(r"\(?(?:https?://|www\.)[^\s()]+\)?", re.IGNORECASE)


def without_links(text: str) -> str:
    """`text` without the web addresses printed in it, and the brackets they leave."""
    t = _LINK_TAIL.sub(" ", text)
    return unbracketed(re.sub(r"\s+", " ", t), " ,;|·•-–—")


def header_like(text: str, max_len: int = 90) -> bool:
    t = text.strip()
    if t and not _URL_IN.fullmatch(t):
        t = without_links(t) or t  # a title with its link is measured without the link
    if not t or len(t) > max_len:
        return False
    head = heading(t)
    first = t.split()[0]
    if head and (
        not head[1] or capitals_before_text(first, head[1]) or first.endswith((":", "："))
    ):
        # a heading, one in capitals before its text ("SUMMARY Engineer
        # with...") or a label ("Technologies: Go, Rust"); "Training Course in
        # Statistics" (or all in capitals) only opens with a heading's word
        return False
    if t.endswith((";", "。")) or t.endswith(".") and not _ABBREV_END.search(t):
        return False
    # A line in brackets is an aside; "(Part-time) Engineer" is a title.
    aside = t[0] == "(" and t.find(")") in (-1, len(t) - 1)
    if t[0].islower() and not _lower_name(t) or t[0] in "•·-–*" or aside or "@" in t:
        return False
    if find_range(t):
        return False
    if len(t.split()) > 12:
        return False
    return not _URL_IN.fullmatch(t)


def _lower_name(t: str) -> bool:
    """A short name written in lower case, not the end of a sentence:
    "widget2go", "acme-werke IT-Service GmbH", "iOS Developer"."""
    words = t.split()
    return (
        len(words) <= 4
        and not t.endswith((",", ":", ";"))
        and (any(c.isupper() or c.isdigit() for c in t) or company_score(t) > 0)
    )


_MARKUP = re.compile(r"<a\s+href=|</a>", re.IGNORECASE)


def _unclosed_markup(s: str) -> bool:
    """A line cut inside printed HTML: "... <a" or "<a href='...'>Name" with no "</a>"."""
    low = s.casefold()
    return low.rstrip().endswith("<a") or low.count("<a ") > low.count("</a>")


def _clean_part(s: str) -> str:
    if _MARKUP.search(s):
        # A theme that prints the owner's HTML as text: the value is printed so.
        return re.sub(r"\s+", " ", s).strip(" ,;:|·•-–—")
    s = _HTML_ANY.sub("", strip_html(s))
    s = without_links(s)
    return re.sub(r"\s+", " ", s).strip(" ,;:|·•-–—")


def _split_at(s: str) -> tuple[str, str] | None:
    if not _SPLIT_AT.search(s, 1):
        return None
    # the last " at " wins: "Engineer - 18 months / Lead - 13 months at Remote"
    idx = max(
        s.rfind(f" {w} ")
        for w in ("at", "@", "bei", "chez", "en", "presso", "bij", "в", "às", "na", "no")
    )
    a, b = s[:idx].strip(), s[idx:].strip().split(" ", 1)[-1].strip()
    if not a or not b:
        return None
    return a, b
