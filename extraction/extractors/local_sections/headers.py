"""Entry headers: the lines above (or around) a date range that name the entry,
and the templates a section repeats for each of its entries.

Over 400 lines because it is one rule, what names an entry, read in its several
shapes (one line, two lines, wrapped, in cells, a template); the helpers serve it.
"""

from __future__ import annotations

import re

from ..learned import context as learned
from ..local_rules.dates import remove_range
from ..local_rules.line import Line
from ..local_rules.places import parse_location
from ..local_rules.scores import (
    _BARE_DOMAIN,
    _CONTINUATION,
    _URL_IN,
    _clean_part,
    _is_title_word,
    _split_at,
    _unclosed_markup,
    degree_score,
    header_like,
    institution_score,
    title_score,
)
from .degrees import split_degree


def _section_templates(
    lines: list[Line], bounds: list[tuple[int, int, int]], attributes: set[int]
) -> dict[str, tuple[int, int]]:
    """Per section, where its entries print their title lines, read off its
    first entry: (lines between the heading and its dates, lines its own
    reading takes below them). One layout prints every entry of a section the
    same way, so every entry takes its title lines at the same places instead
    of the next entry's (or the previous one's) by what they look like. A
    first entry dated on its title line or on its heading's row, or with no
    heading right above it, sets nothing.

    A first entry dated on its title line right under the heading sets
    "<section>+rest" to (0, lines below): the section's entries dated on their
    title lines take none of the lines above them (the previous entry's text)."""
    out: dict[str, tuple[int, int]] = {}
    seen: set[str | None] = set()
    for prev, i, nxt in bounds:
        ln = lines[i]
        if ln.section in seen:
            continue
        seen.add(ln.section)
        if ln.section is None or ln.headed:
            continue  # dated on its heading's row: rows unknown
        rest = _clean_part(remove_range(ln.text, ln.range))
        k = i - 1
        while k >= 0 and lines[k].section == ln.section and not lines[k].range:
            k -= 1
        if k >= 0 and lines[k].section == ln.section:
            continue  # a dated line of another kind above: no heading to count from
        above = sum(1 for j in range(k + 1, i) if not lines[j].used)
        if rest:
            if not above and k + 1 == i:
                _, consumed = _header_parts(lines, prev, i, nxt, attributes)
                out[f"{ln.section}+rest"] = (0, sum(1 for j in consumed if j > i))
            continue
        _, consumed = _header_parts(lines, prev, i, nxt, attributes)
        below = sum(1 for j in consumed if j > i)
        if above or below:
            out[ln.section] = (above, below)
    return out


def _header_parts(
    lines: list[Line],
    prev: int,
    i: int,
    nxt: int,
    attributes: set[int] | frozenset = frozenset(),
    template: tuple[int, int] | None = None,
) -> tuple[list[str], list[int]]:
    ln = lines[i]
    rest = _clean_part(remove_range(ln.text, ln.range))
    if template is not None and not rest:
        parts, consumed = _header_parts(lines, prev, i, nxt, attributes)
        above = sum(1 for k in consumed if k < i)
        below = sum(1 for k in consumed if k > i)
        if (
            not parts
            or (below and not template[1])
            or (above and not template[0])
            or above < min(template[0], _most_parts(ln, []))
            or (not above and not template[0] and below < template[1])
        ):
            return _template_parts(lines, prev, i, nxt, attributes, template)
        return parts, consumed
    if (
        rest
        and _split_at(rest)
        and not (ln.section == "education" and (school_at_place(rest) or _degree_en_field(rest)))
    ):
        # ("University of Springfield at Shelbyville" names a school, not a
        # title at an employer: its degree is on the lines around it; nor
        # does "Licenciatura en Física", a degree in its field)
        more = _wrapped_rest(lines, i, nxt)
        if more:  # "Developer at Widgetry and" / "Sons (Europe)": a full line wrapped
            return [_clean_part(_join_wrapped(rest, lines[i + 1].text))], [i + 1]
        return [rest], []
    nxt_line = lines[i + 1].text if i + 1 < nxt and not lines[i + 1].gap else ""
    if (
        not rest
        and nxt_line
        and header_like(nxt_line)
        and len(nxt_line.split()) <= 12
        and not _continues(nxt_line)
        and _split_at(_clean_part(nxt_line))
    ):
        school = (
            _school_below(lines, i + 2, nxt, _dated_first(lines, i))
            if ln.section == "education"
            else None
        )
        if school and not _institution_like(nxt_line):
            # "2016 – 2021" / "Bachelor in Systems Engineering" / "Faculty of
            # Engineering": a date column, the degree, then its school
            return [_clean_part(nxt_line), school], [i + 1, i + 2]
        return [_clean_part(nxt_line)], [i + 1]
    if not rest and ln.section == "education":
        wrapped = _wrapped_at_block(lines, prev, i)
        if wrapped:
            return wrapped
    above = lines[i - 1] if i - 1 > prev and not ln.gap else None
    if above is not None and ln.section and above.section != ln.section:
        above = None  # the end of the section before: the summary, a heading's text
    if not rest and above and not above.used and _header_line(above.text):
        whole = _clean_part(above.text)
        if _split_at(whole):  # "Engineer at Acme" right above the dates
            return [whole], [i - 1]
    if not rest and ln.section != "education":
        block = _wrapped_title_block(lines, prev, i)
        if block:
            return block
    parts: list[tuple[int, str]] = []
    if rest and len(rest) > 1:
        parts.append((i, rest))
    consumed = []
    if rest and ln.section != "education":
        # "Acme 2020 – 2022" / (acme.com) / "Senior Engineer": the title below
        k = i + 1
        while k < nxt and _BARE_DOMAIN.fullmatch(lines[k].text.strip()):
            k += 1
        if (
            k < nxt
            and not _blank_between(lines, i, k)
            and not lines[k].range
            and header_like(lines[k].text, 70)
            and title_score(lines[k].text) > title_score(rest)
            and not _heads_next_dates(lines, k)
        ):
            return [rest, _clean_part(lines[k].text)], [k]
    j = i - 1
    # a section whose first entry is dated on its title line, right under the
    # heading: the lines above are the previous entry's
    limit = i if template is not None and rest and template[0] == 0 else prev + 1
    while j >= limit and len(parts) < _most_parts(ln, parts) and not lines[j].used:
        if lines[j + 1].gap:
            break  # a blank line above: what is higher up is another block
        if j - 1 >= limit and not lines[j - 1].used and _unclosed_markup(lines[j - 1].text):
            # "<a href='...'>Acme</a> / <a" / "href='...'>Widgetry</a>": printed HTML, wrapped
            parts.insert(0, (j - 1, _clean_part(lines[j - 1].text + " " + lines[j].text)))
            consumed.extend([j, j - 1])
            j -= 2
            continue
        if (
            _CONTINUATION.match(lines[j].text)
            and j - 1 >= limit
            and not lines[j - 1].used
            and header_like(lines[j - 1].text, 70)
            and len(lines[j].text) <= 40
        ):
            # "Springfield Academy of Mathematics" / "and Science"
            parts.insert(0, (j - 1, _clean_part(lines[j - 1].text + " " + lines[j].text)))
            consumed.extend([j, j - 1])
            j -= 2
            continue
        web = _web_address_above(lines, j, limit)
        if web and not parts and lines[j].section == ln.section:
            # "Acme" / "acme.com" / dates: the employer's web address under its
            # name (a long address wrapped onto a second line)
            consumed.extend(range(j, j - web, -1))
            j -= web
            continue
        if not _title_above(lines, prev, j, i):
            break
        if lines[j].section != ln.section and ln.section:
            break
        text = _clean_part(lines[j].text)
        if j - 1 >= limit and _wrapped_above(lines[j - 1]):
            # "Leading University, Springfield," / "Freedonia": one wrapped line
            text = _clean_part(_join_wrapped(lines[j - 1].text, text))
            consumed.append(j - 1)
            j -= 1
        parts.insert(0, (j, text))
        consumed.append(j)
        j -= 1
        if len(parts) == 1 and ln.section != "education" and _whole_header(text):
            return [text], consumed  # "Engineer, Acme" says all: the line above is not ours
    j = i + 1
    if (
        j < nxt
        and parts
        and parts[-1][0] == i - 1
        and _unclosed_markup(parts[-1][1])
        and not lines[j].range
    ):
        # "<a href='...'>Acme</a> / <a" / dates / "href='...'>Widgetry</a>":
        # printed HTML wrapped around the dates beside its first row
        parts[-1] = (i - 1, _clean_part(parts[-1][1] + " " + lines[j].text))
        consumed.append(j)
        j += 1
    while j < nxt and len(parts) < _most_parts(ln, parts, below=i) and not lines[j].range:
        if lines[j].gap:
            break  # a blank line: the next block is another entry's
        if _BARE_DOMAIN.fullmatch(lines[j].text.strip()) or j in attributes:
            j += 1  # the employer's web address or the place printed under the dates
            continue
        if not header_like(lines[j].text, 70) and not _model_title_line(lines[j]):
            break
        if _model_body_line(lines[j]) and not (
            ln.section == "education" and _degree_or_field(lines[j].text)
        ):
            break
        if ln.section and lines[j].section != ln.section:
            break
        if _heads_next_dates(lines, j):
            break
        t = _clean_part(lines[j].text)
        if len(t.split()) > (14 if _model_title_line(lines[j]) else 8):
            break  # prose, unless the line model is sure of a long title line
        if (
            ln.section == "education"
            and institution_score(t) > 0
            and any(institution_score(p) > 0 and (k != i or j + 1 == nxt) for k, p in parts)
        ):
            # a second school below the dates, where the entry's school has a
            # line of its own, or right above the next dates: the next entry's
            # (a faculty under a school on the line of the dates is the entry's)
            break
        parts.append((j, t))
        consumed.append(j)
        j += 1
    if (
        ln.section == "education"
        and j < nxt
        and not lines[j].range
        and not lines[j].used
        and not lines[j].gap
        and header_like(lines[j].text, 90)
        and all(k >= i for k, _ in parts)
        and not any(_institution_like(p) for _, p in parts)
        and (_institution_like(lines[j].text) or _school_after_degree(lines[j], parts))
        and (not _heads_next_dates(lines, j) or not rest and _dated_first(lines, i))
    ):
        # "B.Arch" / "Architecture" / "University of Oregon" under the dates;
        # "BSc" / "Information Systems" / "ZELTRAX": a name under a degree
        # and its field is their school, whatever words it has
        parts.append((j, _clean_part(lines[j].text)))
        consumed.append(j)
    return [p for _, p in _across_dates(sorted(parts), i) if p], consumed


_ADDRESS_BREAK = ("-", "/", "_", ".", "=", "&", "?", "#")


def _web_address_above(lines: list[Line], j: int, limit: int) -> int:
    """How many lines up from line j (0, 1 or 2) are one web address: the
    address alone on its line ("http://acme.com", "www.acme.com",
    "acme.com/about"), or its end wrapped onto the next line
    ("https://acme.com/news/2019/where-" / "the-money-is.html"). A bare
    domain ("Widgets.io") may be the employer's own name: not an address."""
    text = lines[j].text.strip()
    if _BARE_DOMAIN.fullmatch(text) and (_URL_IN.match(text) or "/" in text):
        return 1
    if (
        j - 1 >= limit
        and not lines[j - 1].used
        and not lines[j].gap
        and 0 < len(text) <= 60
        and " " not in text
    ):
        above = lines[j - 1].text.strip()
        if _URL_IN.match(above) and " " not in above and above.endswith(_ADDRESS_BREAK):
            return 2
    return 0


def _across_dates(parts: list[tuple[int, str]], i: int) -> list[tuple[int, str]]:
    """ "Ecole Nationale Supérieure des" / dates / "Mines de Lowtown": a title
    wrapped around the dates printed beside its first row is one part."""
    above = next((n for n, (k, _) in enumerate(parts) if k == i - 1), None)
    below = next((n for n, (k, _) in enumerate(parts) if k == i + 1), None)
    if above is None or below is None:
        return parts
    if not (_continues(parts[above][1]) or _unclosed_markup(parts[above][1])):
        return parts
    joined = (i - 1, _join_wrapped(parts[above][1], parts[below][1]))
    return [joined if n == above else p for n, p in enumerate(parts) if n != below]


def _template_parts(
    lines: list[Line],
    prev: int,
    i: int,
    nxt: int,
    attributes: set[int] | frozenset,
    template: tuple[int, int],
) -> tuple[list[str], list[int]]:
    """An entry's title lines where its section's first entry had them
    (`_section_templates`): up to as many lines right above the dates, and
    right below them."""
    ln = lines[i]
    above, below = template
    taken: list[tuple[int, str]] = []
    joined: list[int] = []  # the second lines of wrapped title lines
    j = i - 1
    while j > prev and len(taken) < min(above, _most_parts(ln, [])) and not lines[j].used:
        if lines[j + 1].gap:
            break
        if lines[j].section != ln.section or not _title_above(lines, prev, j, i):
            break
        if j - 1 > prev and not lines[j - 1].used and _wrapped_above(lines[j - 1]):
            # "Bachelor, Informatics - Open University of" / "Catalunya": one
            # title line wrapped, however many lines the template counts
            taken.insert(0, (j - 1, _clean_part(_join_wrapped(lines[j - 1].text, lines[j].text))))
            joined.append(j)
            j -= 2
            continue
        taken.insert(0, (j, _clean_part(lines[j].text)))
        j -= 1
    j, n = i + 1, 0
    if not above:  # every title line below the dates: as many as an entry has
        below = _most_parts(ln, [])
    elif len(taken) < above:
        # fewer title lines above than the first entry had: the rest printed
        # below the dates ("Acme" / dates / "Engineer"), where the line model
        # is sure they are title lines
        k = i + 1
        while k < nxt and k - i <= above - len(taken) and _model_sure_title_line(lines[k]):
            k += 1
        below = max(below, k - i - 1)
    most = _most_parts(ln, []) if not above else _most_parts(ln, taken, below=i)
    while j < nxt and n < below and len(taken) < most and not lines[j].range:
        if lines[j].gap:
            break
        if _BARE_DOMAIN.fullmatch(lines[j].text.strip()) or j in attributes:
            j += 1
            continue
        if not header_like(lines[j].text, 70) and not _model_title_line(lines[j]):
            break
        if lines[j].section != ln.section:
            break
        if _model_body_line(lines[j]) and not _short_name(lines[j].text):
            # (a name of a word or few where the template has a title line:
            # "iRule", "Tiller" are names the model has not seen)
            break
        if len(lines[j].text.split()) > (14 if _model_title_line(lines[j]) else 8):
            break
        taken.append((j, _clean_part(lines[j].text)))
        j += 1
        n += 1
        if len(taken) == 1 and ln.section != "education" and _split_at(taken[0][1]):
            break  # "Engineer at Acme" says all
    if not taken:
        return _header_parts(lines, prev, i, nxt, attributes)
    return [t for _, t in _across_dates(taken, i)], [k for k, _ in taken] + joined


def _short_name(text: str) -> bool:
    """A line of one to three words with no sign of a sentence and more letters
    than other signs ("8.0", a grade, is none): a name."""
    t = text.strip()
    letters = sum(c.isalpha() for c in t)
    return (
        1 <= len(t.split()) <= 3
        and not t.endswith((".", ":", ","))
        and not (t[:1].islower() and t[1:] == t[1:].lower())  # "iRule" is a name
        and letters * 2 > len(t.replace(" ", ""))
    )


def _model_title_line(ln: Line) -> bool:
    """A long title line ("Senior Engineer, Acme Widgets Ltd (Springfield,
    Freedonia)") the line model reads as an entry's title, where it is sure."""
    text = ln.text.rstrip()
    if text.endswith(".") and len(text.split()) <= 5:
        text = text[:-1]  # "Acme Software Inc." / "BMC Software.": a short name's stop
    return sum(ln.probs.get(k, 0.0) for k in learned.TITLE_LABELS) >= 0.6 and header_like(text, 120)


def _title_above(lines: list[Line], prev: int, j: int, i: int) -> bool:
    """Line j, above the dates on line i, reads as one of the entry's title
    lines: a title line, or a name written in lower case that the line model
    takes for an employer or a title ("acmesoft"); and no entry text by the
    line model, except right above the dates under a line it is sure is a
    title: between a title and its dates there is no text, only the rest of
    the header ("Senior Engineer" / "Research Foundation for Widgets" / dates)."""
    ln = lines[j]
    if not (_header_line(ln.text) or _model_lower_name(ln) or _model_title_line(ln)):
        return False
    if not _model_body_line(ln):
        return True
    above = lines[j - 1] if j - 1 > prev else None
    return (
        j == i - 1
        and above is not None
        and not above.used
        and not ln.gap
        and _model_sure_title(above)
        and len(ln.text.split()) <= 6
        and not ln.text.rstrip().endswith((".", ",", ";", ":"))
    )


def _model_sure_title_line(ln: Line) -> bool:
    """A short title line, no dates, that the line model is sure of, or that
    names a job by its words ("Architect", "Executive Director, Network")."""
    if ln.range or ln.gap or ln.used or not header_like(ln.text, 70):
        return False
    if sum(ln.probs.get(k, 0.0) for k in learned.TITLE_LABELS) >= 0.8:
        return True
    return title_score(ln.text) > 0 and len(ln.text.split()) <= 6


def _model_sure_title(ln: Line) -> bool:
    return sum(ln.probs.get(k, 0.0) for k in learned.TITLE_LABELS) >= learned.BODY_P - 0.2


def _model_lower_name(ln: Line) -> bool:
    """A short name written all in lower case ("acmesoft", "widget works")
    that the line model reads as an employer or a title, where it is sure."""
    t = ln.text.strip()
    return (
        t[:1].islower()
        and 1 <= len(t.split()) <= 3
        and len(t) <= 40
        and not t.endswith((".", ",", ";", ":"))
        and sum(ln.probs.get(k, 0.0) for k in learned.TITLE_LABELS) >= 0.6
    )


def _model_body_line(ln: Line) -> bool:
    """A line of an entry's text (a highlight, a sentence), no title, where the
    line model is sure: "Built a tool for clinical trials" above the next dates."""
    return ln.probs.get("other", 0.0) >= learned.BODY_P


def _most_parts(ln: Line, parts: list[tuple[int, str]], below: int | None = None) -> int:
    """Title lines an entry takes: two (employer and title), for education
    three (institution, area, degree) until a degree is among them; reading
    down from the dates on line `below`, a degree that names no field as the
    last line taken under them ("Bachelor of Science") leaves a line for its
    field under it."""
    if ln.section != "education":
        return 2
    if not any(degree_score(p) for _, p in parts):
        return 3
    if below is not None and parts:
        k, last = max(parts)
        if k > below and degree_score(last) and _bare_degree(last):
            return 3
    return 2


def _bare_degree(text: str) -> bool:
    """A degree line that names no field ("Bachelor of Science", "MSc"): a
    short one (a long line is no bare degree, and is not split again)."""
    return len(text) <= 60 and split_degree(text)[1] is None


def _school_below(lines: list[Line], j: int, nxt: int, dated_first: bool = False) -> str | None:
    """Line j when it is the school of an education entry whose degree is the
    line above it: a short line of the entry, no dates, not prose. Right above
    the next dates it is the next entry's title, unless the section prints
    each entry's dates first (`dated_first`: dates right under the heading)."""
    if j >= nxt or lines[j].range or lines[j].used or lines[j].gap:
        return None
    t = lines[j].text
    if not header_like(t, 90) or _model_body_line(lines[j]):
        return None
    if _heads_next_dates(lines, j) and not dated_first:
        return None
    return _clean_part(t) if _institution_like(t) else None


def _degree_or_field(text: str) -> bool:
    """A short line naming a degree or a field of study ("Master", "Computer
    Science"), by the degree words or the phrase model where it is sure."""
    t = text.strip()
    if not t or len(t.split()) > 8:
        return False
    if degree_score(t) > 0:
        return True
    p = learned.phrase(t)
    return p is not None and p.get("studyType", 0) + p.get("area", 0) >= 0.7


def _school_after_degree(ln: Line, parts: list[tuple[int, str]]) -> bool:
    """A short name printed under an education entry's degree and field (both
    taken, no school among them): the school, unless it reads as a degree or
    field, a note ("GPA: 3.9", "Thesis: ..."), or text."""
    if len(parts) < 2 or not any(degree_score(p) for _, p in parts):
        return False
    if not all(_degree_or_field(p) for _, p in parts):
        return False  # a name among them already: the school
    t = _clean_part(ln.text)
    if not t or len(t.split()) > 6 or ":" in t or _degree_or_field(t) or _model_body_line(ln):
        return False
    p = learned.phrase(t)
    return p is None or p.get("other", 0.0) < learned.BODY_P


def school_at_place(text: str) -> bool:
    """ "University of Springfield at Shelbyville": a school's name with "at"
    in it, not a degree at a school."""
    split = _split_at(text)
    return split is not None and degree_score(split[0]) == 0 and _institution_like(split[0])


def _dated_first(lines: list[Line], i: int) -> bool:
    """The dates on line i stand alone right under their section's heading: the
    section prints each entry's dates first and its title lines below them,
    so a title line right above the next dates is still this entry's."""
    ln = lines[i]
    return i > 0 and ln.section is not None and not ln.headed and lines[i - 1].section != ln.section


def _institution_like(text: str) -> bool:
    if institution_score(text) > 0:
        return True
    p = learned.phrase(text)
    return p is not None and p.get("institution", 0) >= 0.5


def _wrapped_rest(lines: list[Line], i: int, nxt: int) -> bool:
    """The line after a full-width title line is its wrapped end: short, not a
    sentence, and the title line as long as the section's long lines; or the
    title line stops inside printed HTML."""
    if i + 1 >= nxt or lines[i + 1].range or lines[i + 1].used or lines[i + 1].gap:
        return False
    if _unclosed_markup(lines[i].text):
        return True
    t = lines[i + 1].text.strip()
    if len(t.split()) > 5 or t.endswith((".", ":")) or _prose(t) or not header_like(t, 60):
        return False
    if len(t.split()) <= 3 and _names_place_of_work(lines[i + 1]) and not parse_location(t):
        # "Engineer at Springfield" / "University": the school's name goes on
        # ("Mountain View, CA" under it is the job's place)
        return True
    same = sorted(len(ln.text) for ln in lines if ln.section == lines[i].section)
    if len(same) < 4:
        return False
    return len(lines[i].text) >= same[len(same) * 3 // 4]


def _names_place_of_work(ln: Line) -> bool:
    """The line model is sure the line names a school or an employer."""
    return ln.probs.get("institution", 0.0) + ln.probs.get("employer", 0.0) >= SURE_NAME_P


SURE_NAME_P = 0.8


def _wrapped_above(ln: Line) -> bool:
    """A title line cut short, the rest of it on the next line: "Leading
    University, Springfield," / "Freedonia"."""
    return _continues(ln.text) and (_header_line(ln.text) or _model_title_line(ln))


def _join_wrapped(a: str, b: str) -> str:
    """Two parts of one wrapped line: "Leading University, Lowtown," + "Freedonia"
    keeps its comma; "Full Stack Developer -" + "Acme" its dash."""
    a, b = a.rstrip(), b.lstrip(", ")
    if a.endswith(","):
        return a.rstrip(",") + ", " + b
    return a + " " + b


def _whole_header(text: str) -> bool:
    """A title line naming both the position and the employer."""
    if _split_at(text):
        return True
    return ", " in text and title_score(text.rsplit(", ", 1)[0]) > 0


def _wraps_into(a: str, b: str) -> bool:
    """Line b goes on with the phrase of line a (narrow columns wrap titles):
    a ends open ("-", "&", "of"), b opens with "(" / "&" / lower case, b is a
    lone word, or a holds no title word and b starts with one ("Custom Game"
    / "Developer - ...")."""
    first = b.split()[0] if b.split() else ""
    return (
        _continues(a)
        or b[:1] in "(&/"
        and b[:1] != ""
        or b[:1].islower()
        or len(b.split()) == 1
        or title_score(a) == 0
        and _is_title_word(first.casefold())
    )


def _wrapped_at_block(lines: list[Line], prev: int, i: int) -> tuple[list[str], list[int]] | None:
    """ "Bachelor in Computer" / "Engineering" / "at Springfield State" /
    "University" / dates: one phrase "<degree> in <field> at <school>" wrapped
    over the lines of a narrow column above the dates. The lines are one
    phrase where each goes on with the one above it (it opens with "at" or in
    lower case, the line above ends open, or its first word would not have
    fitted on the line above), and a line of them opens with "at"."""
    block = [i - 1]
    width = max(
        (
            len(lines[k].text.strip())
            for k in range(prev + 1, i)
            if lines[k].section == lines[i].section
        ),
        default=0,
    )
    j = i - 2
    while j > prev and len(block) < 6:
        a, b = lines[j], lines[block[0]]
        if a.used or a.range or b.gap or a.section != lines[i].section:
            break
        at, bt = a.text.strip(), b.text.strip()
        first = bt.split()[0] if bt.split() else ""
        if not (bt[:1].islower() or _continues(at) or len(at) + 1 + len(first) > width):
            break
        if len(at) > 60 or _prose(at):
            break
        block.insert(0, j)
        j -= 1
    if len(block) < 2 or any(lines[k].used or lines[k].range for k in block):
        return None
    texts = [lines[k].text.strip() for k in block]
    if not any(t.startswith(("at ", "@ ")) for t in texts[1:]) or not header_like(texts[0], 60):
        return None
    joined = texts[0]
    for t in texts[1:]:
        joined = _join_wrapped(joined, t)
    return [_clean_part(joined)], block


def _prose(t: str) -> bool:
    """A line of a sentence, not a name: it ends with a full stop after
    several words, or most of its words are lower case ("Creation of layouts
    using Sass, Bootstrap and jQuery")."""
    words = t.split()
    if len(words) <= 4:
        return False
    lower = sum(1 for w in words if w[:1].islower())
    return t.endswith(".") or lower * 2 >= len(words)


def _wrapped_title_block(
    lines: list[Line], prev: int, i: int
) -> tuple[list[str], list[int]] | None:
    """Employer, then a title wrapped over two or more lines, then a line of
    bare dates (narrow columns): ["Acme", "Senior Site Reliability &",
    "Engineer"] -> employer "Acme", title "Senior Site Reliability & Engineer"."""
    block: list[int] = []
    j = i - 1
    while j > prev and len(block) < 5 and not lines[j].used and not lines[j].range:
        if lines[j + 1].gap:
            break
        t = lines[j].text.strip()
        if len(t) > 60 or lines[j].section != lines[i].section or _prose(t):
            break
        if not (header_like(t, 60) or t[:1] in "(&" and not t.endswith(".")):
            break
        if _ends_prose_above(lines, prev, j):
            break  # "...developer experience of" / "Acme's component library"
        block.insert(0, j)
        j -= 1
    if len(block) < 3:
        return None
    texts = [lines[k].text.strip() for k in block]
    tail = texts[1:]
    if not all(_wraps_into(a, b) for a, b in zip(tail, tail[1:], strict=False)):
        return None
    title = tail[0]
    for t in tail[1:]:
        title = _join_wrapped(title, t)
    return [_clean_part(texts[0]), _clean_part(title)], block


def _degree_en_field(text: str) -> bool:
    """ "Bachelor en Ingeniería Informática": a degree, " en ", its field (the
    word that also says where one works, "Analista en Acme"), and no other
    word of place ("Licenciatura en Física at Acme University")."""
    head, sep, _ = text.partition(" en ")
    if not sep or re.search(r"\s(?:at|@|bei|chez|presso|bij|в|às|na|no)\s", text, re.IGNORECASE):
        return False
    return degree_score(head) > 0


def _ends_prose_above(lines: list[Line], prev: int, j: int) -> bool:
    """Line j is the end of a sentence wrapped from the line above it: that
    line is prose (long, or a sentence) and ends open ("of", ",", "and")."""
    if j - 1 <= prev or lines[j].gap:
        return False
    above = lines[j - 1].text.strip()
    return _continues(above) and (len(above) > 60 or _prose(above))


def _blank_between(lines: list[Line], a: int, b: int) -> bool:
    """A blank line stands somewhere between lines a and b (a < b) of plain text."""
    return any(lines[k].gap for k in range(a + 1, min(b, len(lines) - 1) + 1))


def _header_line(text: str) -> bool:
    """A title line: short, or a longer "Area, Degree, Institution" list."""
    if header_like(text, 70):
        return True
    if not (text.count(", ") >= 2 or _split_at(text) is not None) or len(text) > 120:
        return False
    return header_like(re.sub(r"[\s\-–/|]+", " ", text)[:70], 70) and not text.endswith(".")


_OPEN_WORDS = (
    " and",
    " und",
    " y",
    " et",
    " e",
    " of",
    " de",
    " del",
    " da",
    " do",
    " des",
    " der",
    " die",
    " with",
    " for",
    " to",
    " the",
    " in",
    " con",
    " en",
    " para",
    " por",
    " mit",
    " für",
    " von",
    " avec",
    " pour",
    " dans",
    " con",
    " per",
    " met",
    " voor",
    " van",
)


def _continues(text: str) -> bool:
    """A line cut short, its phrase going on on the next line."""
    t = text.rstrip()
    return (
        t.endswith((",", "&", "/", " -"))
        or t.casefold().endswith(_OPEN_WORDS)
        or t.count("(") > t.count(")")  # "Polytechnic (Lowtown" / "University)"
    )


def _heads_next_dates(lines: list[Line], j: int) -> bool:
    """Line j stands right before a line of bare dates: it is that entry's title."""
    if (
        j + 2 < len(lines)
        and (_CONTINUATION.match(lines[j + 1].text) or _continues(lines[j].text))
        and lines[j + 2].range
    ):
        j += 1  # "Eastvale Academy of Mathematics" / "and Science" / dates
    if j + 1 >= len(lines) or not lines[j + 1].range:
        return False
    nxt = lines[j + 1]
    return not _clean_part(remove_range(nxt.text, nxt.range))
