"""Entries of a CV: work and education blocks, each anchored on a line with a
date range, its header, body and the confidence of each field.
"""

from __future__ import annotations

import re

from ..learned import context as learned
from ..local_rules.dates import remove_range
from ..local_rules.headings import heading
from ..local_rules.line import Line
from ..local_rules.places import parse_location
from ..local_rules.scores import (
    _URL_IN,
    _clean_part,
    company_score,
    degree_score,
    header_like,
    institution_score,
    role_score,
    title_score,
)
from ..local_rules.text import strip_bullet, strip_html
from ..local_rules.vocab import FLUENCY_WORDS
from .education import _degree_like, _degree_then_field, _education, split_degree
from .headers import (
    _degree_or_field,
    _header_parts,
    _model_body_line,
    _prose,
    _section_templates,
)
from .work import _work, without_place_cell

ENTRY_SECTIONS = (
    "work",
    "education",
    "volunteer",
    "projects",
    "awards",
    "certificates",
    "publications",
    "references",
    "interests",
    "languages",
)


def entries(lines: list[Line]) -> tuple[list[dict], list[dict]]:
    """Work and education entries, each anchored on a line with a date range
    (employers' taglines already taken out: `drop_taglines`)."""
    anchors = [i for i, ln in enumerate(lines) if ln.range]
    work: list[dict] = []
    education: list[dict] = []
    bounds = []
    for n, i in enumerate(anchors):
        prev = anchors[n - 1] if n else -1
        nxt = anchors[n + 1] if n + 1 < len(anchors) else len(lines)
        bounds.append((prev, i, nxt))
    detached = _detached_headers(lines, anchors)
    closing = _closing_sections(lines, anchors)
    attributes = _attribute_lines(lines, anchors)
    templates = _section_templates(lines, bounds, attributes)
    # entries, where their text starts and ends, whether their dates close them
    bodies: list[tuple[dict, int, int, bool]] = []
    # education entries, their header parts and how many lines of them stand above the dates
    headed: list[tuple[dict, list[str], int]] = []
    # education entries, and whether their dates are a lone date
    school_dates: list[tuple[dict, bool]] = []
    for prev, i, nxt in bounds:
        ln = lines[i]
        if (
            ln.section
            in (
                "skills",
                "languages",
                "interests",
                "references",
                "summary",
                "awards",
                "certificates",
                "publications",
            )
            and not ln.range.has_range
        ):
            continue
        closed = _closing_header(lines, prev + 1, i) if ln.section in closing else None
        body_from = i + 1
        if i in detached:
            parts, consumed = [detached[i]], []
        elif closed:
            # header, text, then the dates: the entry's text is above its dates
            parts, consumed, body_from = closed
            nxt = i
        else:
            dated_title = bool(_clean_part(remove_range(ln.text, ln.range)))
            parts, consumed = _header_parts(
                lines,
                prev,
                i,
                nxt,
                attributes,
                templates.get(f"{ln.section}+rest" if dated_title else ln.section),
            )

        parts = _cell_parts(lines, parts, consumed)
        text = " ".join(p for p in parts)
        if not parts:
            continue
        is_edu = (
            ln.section == "education"
            or degree_score(text) > 0
            or (institution_score(text) > 0 and title_score(text) == 0)
        )
        if ln.section == "education" and title_score(text) > degree_score(text) + institution_score(
            text
        ):
            is_edu = False
        if (
            ln.section
            in ("projects", "volunteer", "awards", "certificates", "publications", "references")
            and not is_edu
        ):
            continue
        for j in consumed:
            lines[j].used = True
        ln.used = True
        entry = _education(parts) if is_edu else _work(parts)
        if not entry:
            continue
        if not is_edu:
            if entry.get("name"):
                header = [lines[j] for j in consumed] + [ln]
                entry["name"] = without_place_cell(entry["name"], header, entry.get("position", ""))
            _complete_work(entry, lines, prev, i, nxt)
        entry["startDate"] = ln.range.start
        if ln.range.end:
            entry["endDate"] = ln.range.end
        entry["_conf"] = entry_confidence(entry, "education" if is_edu else "work", ln)
        if not is_edu:
            bodies.append((entry, body_from, nxt, bool(closed)))
        elif ln.section == "education":
            headed.append((entry, parts, sum(1 for j in consumed if j < i)))
        (education if is_edu else work).append(entry)
        if is_edu:
            school_dates.append((entry, not ln.range.has_range))
    _schools_where_the_section_prints_them(headed)
    _lone_school_dates_end(school_dates)
    # after every entry took its title lines; an entry whose dates close it
    # first, so that the entry above does not take its text too
    bodies.sort(key=lambda b: not b[3])
    for entry, start, end, closed_by_dates in bodies:
        body = _body(lines, start, end)
        if closed_by_dates:
            for j in range(start, end):
                lines[j].used = True
        if body:
            entry["highlights"] = body
    _inherit_employer(work)
    return work, education


def _cell_parts(lines: list[Line], parts: list[str], consumed: list[int]) -> list[str]:
    """`parts` with a title line printed in runs kept apart by a wide gap
    ("Acme Corp <gap> Senior Engineer") read as one part per run: the gap
    says where one name ends and the next begins."""
    out: list[str] = []
    for part in parts:
        for j in consumed:
            ln = lines[j]
            if len(ln.cells) != 2 or ln.range or _clean_part(ln.text) != part:
                continue
            cells = [_clean_part(c) for c in ln.cells]
            if all(cells) and _employer_and_title(*cells):
                out.extend(cells)
                break
        else:
            out.append(part)
    return out


def _employer_and_title(a: str, b: str) -> bool:
    """Two runs of a row that are an employer and a job title, in either
    order: one of them reads as a title (its words, or the phrase model) and
    the other does not; neither is a heading, a place or a web address
    ("Sentry <gap> Jaeger": no title; "Acme <gap> //acme.org": an address)."""
    if any(_URL_IN.search(c) or c.startswith(("/", "(")) for c in (a, b)):
        return False
    if any(heading(c) or parse_location(c) for c in (a, b)):
        return False
    if any(any(w in FLUENCY_WORDS for w in c.casefold().split()) for c in (a, b)):
        return False  # "Native speaker <gap> Consultant": a side column's language beside it

    def title(c: str) -> bool:
        p = learned.phrase(c)
        return title_score(c) > 0 or (p is not None and p.get("position", 0) >= 0.5)

    return title(a) != title(b)


def _closing_sections(lines: list[Line], anchors: list[int]) -> set[str | None]:
    """Sections whose entries print their dates last, under their text: the
    section's first entry is its header right under the heading, its text,
    then a line of dates (where the dates come first, the section opens with
    them)."""
    out: set[str | None] = set()
    seen: set[str | None] = set()
    for i in anchors:
        sec = lines[i].section
        if sec in seen or sec in (None, "education"):
            continue  # (a degree's line, "BS in Applied mathematics", reads as text)
        seen.add(sec)
        start = i
        while start > 0 and lines[start - 1].section == sec and not lines[start - 1].range:
            start -= 1
        closed = _closing_header(lines, start, i)
        if closed and closed[1][0] == start:
            out.add(sec)
    return out


_CLOSING_HEADER_LINES = 3


def _closing_header(lines: list[Line], lo: int, i: int) -> tuple[list[str], list[int], int] | None:
    """(parts, their lines, the first line of the text) of an entry whose dates,
    alone on line i, close it: lines of text right above the dates, the last
    one ending a sentence, and above them, from line `lo` on, one to three
    header lines."""
    ln = lines[i]
    if _clean_part(remove_range(ln.text, ln.range)):
        return None
    if i - 1 < lo or not lines[i - 1].text.rstrip().endswith((".", "。", "!")):
        return None  # no sentence ends right above the dates
    j = i - 1
    while j >= lo and _text_line(lines[j], ln.section):
        j -= 1
    if j == i - 1:
        return None  # no text right above the dates
    head: list[int] = []
    while (
        j >= lo
        and len(head) < _CLOSING_HEADER_LINES
        and not lines[j].used
        and not lines[j].range
        and lines[j].section == ln.section
        and header_like(lines[j].text, 70)
        and not _model_body_line(lines[j])
        and not _prose(lines[j].text)
    ):
        head.insert(0, j)
        j -= 1
    if not head:
        return None
    return [_clean_part(lines[k].text) for k in head], head, head[-1] + 1


def _text_line(ln: Line, section: str | None) -> bool:
    """A line of an entry's text: a sentence, a highlight."""
    return (
        not ln.used
        and not ln.range
        and ln.section == section
        and (_model_body_line(ln) or _prose(ln.text))
    )


def _school_part(entry: dict, parts: list[str]) -> int | None:
    """Which of the header's parts the entry's school was read from."""
    school = entry.get("institution")
    if not school or len(parts) < 2:
        return None
    found = [k for k, p in enumerate(parts) if school in p]
    return found[0] if len(found) == 1 else None


def _sure_school(entry: dict, parts: list[str], k: int) -> bool:
    """The school was read from part k by its own words, or every other part
    names a degree by its words; and no other part has a school's words."""
    others = [p for n, p in enumerate(parts) if n != k]
    if any(institution_score(p) > 0 for p in others):
        return False
    return institution_score(entry["institution"]) > 0 or all(degree_score(p) > 0 for p in others)


def _schools_where_the_section_prints_them(headed: list[tuple[dict, list[str], int]]) -> None:
    """A section prints every entry's header the same way: where the entries
    whose school is sure (`_sure_school`: "University", "Institute", or the
    other parts a degree) all have it first, or all last, among as many
    header parts, as many of them above the dates, an entry so printed whose
    school was read from another part, by no school's words, has it there
    too ("Course Introduction to Computer Science" / "Harvard Online"): that
    part is its school, the others its degree and field."""
    # (parts, parts above the dates) -> where the sure schools stand
    ends: dict[tuple[int, int], set[int]] = {}
    for entry, parts, above in headed:
        k = _school_part(entry, parts)
        if k is not None and k in (0, len(parts) - 1) and _sure_school(entry, parts, k):
            ends.setdefault((len(parts), above), set()).add(k)
    for entry, parts, above in headed:
        k = _school_part(entry, parts)
        seen = ends.get((len(parts), above), set())
        if k is None or len(seen) != 1 or institution_score(entry["institution"]) > 0:
            continue
        want = next(iter(seen))
        if k == want:
            continue
        rest = [_clean_part(p) for n, p in enumerate(parts) if n != want]
        if degree_score(parts[want]) > 0 or any(institution_score(p) > 0 for p in rest):
            continue  # the part a school stands in names a degree, or another part a school
        if len(rest) == 1:
            study, area = split_degree(rest[0])
            if area is None and not _degree_like(study):
                study, area = None, study
        elif len(rest) == 2:
            study, area = _degree_then_field(*rest)
        else:
            continue
        for key in ("institution", "studyType", "area"):
            entry.pop(key, None)
        entry["institution"] = _clean_part(parts[want])
        if study:
            entry["studyType"] = study
        if area:
            entry["area"] = area
        entry["_conf"]["institution"] = "low"


def _inherit_employer(work: list[dict]) -> None:
    """Several roles at one employer print its name once, above the first:
    a role with a title but no employer, right after one with an employer,
    is at the same employer."""
    for before, entry in zip(work, work[1:], strict=False):
        if entry.get("position") and not entry.get("name") and before.get("name"):
            entry["name"] = before["name"]
            entry.setdefault("_conf", {})["name"] = "low"


_TAGLINE = re.compile(r"^(?P<name>[^·]{2,60}?) · (?P<tag>[^·]{12,})$")


def drop_taglines(lines: list[Line]) -> None:
    """ "Widgetry · Redefining the grocery experience.": an employer's name and
    the line its theme prints beside it (a phrase in lower case, often with
    a full stop); the title line is the name alone. A tagline too long for
    its line goes on over the next ones, up to the entry's dates: those lines
    are taken out (`_tagline_goes_on`). Changes `lines` in place; run before
    anything keeps an index into it."""
    drop: set[int] = set()
    for k, ln in enumerate(lines):
        if ln.section != "work" or ln.range:
            continue
        m = _TAGLINE.match(ln.text.strip())
        if not m:
            continue
        name, tag = m.group("name").strip(), m.group("tag").split()
        if len(name.split()) > 4 or len(tag) < 2:
            continue
        if tag[-1].endswith(".") or sum(1 for w in tag[1:] if w[:1].islower()) * 2 >= len(tag) - 1:
            ln.text = name
            ln.cells = ()
            ln.probs = {}  # the line model read the whole line, tagline and all
            j = k + 1
            while j < len(lines) and j - k <= TAGLINE_MAX_LINES and _tagline_goes_on(lines[j]):
                drop.add(j)
                j += 1
            if j >= len(lines) or not lines[j].range or lines[j].gap:
                drop.difference_update(range(k + 1, j))  # the dates do not follow: not a tagline's
    if drop:
        lines[:] = [ln for k, ln in enumerate(lines) if k not in drop]


# A tagline wraps over a few lines at most.
TAGLINE_MAX_LINES = 4


def _tagline_goes_on(ln: Line) -> bool:
    """A line of a tagline wrapped under the employer's name: prose, not a
    title: it goes on in lower case ("financial products") or is a sentence
    (eight words or more) of no title's words."""
    t = ln.text.strip()
    if ln.range or ln.gap or ln.section != "work" or not t:
        return False
    return t[:1].islower() or (len(t.split()) >= 8 and title_score(t) == 0)


def _attribute_lines(lines: list[Line], anchors: list[int]) -> set[int]:
    """Lines printed right under the dates of several entries with the same
    text ("Lowtown", "Remote"): a place or a kind of work, not a title."""
    after: dict[str, list[int]] = {}
    for i in anchors:
        if i + 1 < len(lines) and not lines[i + 1].range:
            t = lines[i + 1].text.strip()
            if lines[i].section == "education" and (_degree_or_field(t) or institution_score(t)):
                # "Computer Science" under several degrees: each one's field;
                # "Lowtown University" under two degrees: each one's school
                continue
            if len(t.split()) <= 4 and title_score(t) == 0 and company_score(t) == 0:
                after.setdefault(t, []).append(i + 1)
    return {j for js in after.values() if len(js) >= 2 for j in js}


def _squash_name(s: str) -> str:
    s = re.sub(r"^(?:https?://)?(?:www\.)?", "", s.casefold())
    return re.sub(r"[^\w]+", "", s)


# An employer's web address is printed beside its dates, within the first
# characters of the line: the patterns below see no more (a run of "a-a-a-..."
# made the bare-domain pattern restart after every "-": quadratic).
DOMAIN_SCAN_MAX = 300


def _domain_labels(text: str) -> list[str]:
    text = text[:DOMAIN_SCAN_MAX]
    out = []
    for u in _URL_IN.findall(text) + re.findall(
        r"(?<![\w@.])(?:[\w-]+\.)+[a-z]{2,6}(?:/\S*)?", text
    ):
        host = re.sub(r"^(?:https?://)?(?:www\.)?", "", u.casefold()).split("/")[0]
        labels = host.split(".")[:-1]
        out.extend(re.sub(r"[^\w]+", "", lab) for lab in labels if len(lab) >= 3)
    return out


def _complete_work(entry: dict, lines: list[Line], prev: int, i: int, nxt: int) -> None:
    """Fill a missing company or position from around the entry.

    - company missing, the anchor line names a website: a stand-alone line
      elsewhere whose letters are the site's name ("north-star.example" ->
      "North Star") is the company; wrapped title lines before the date
      are the position.
    - position missing: the line after an earlier mention of the company
      above the date ("www.acme.com" / "Senior Engineer" / ... / "Acme 2020 –").
    """
    ln = lines[i]
    if "name" not in entry:
        labels = [lab for lab in _domain_labels(ln.text) if lab not in ("com", "www")]
        if labels:
            for other in lines:
                if other.used or other.range or not header_like(other.text, 60):
                    continue
                sq = _squash_name(other.text)
                if sq and any(sq == lab or (len(sq) >= 4 and lab.startswith(sq)) for lab in labels):
                    entry["name"] = other.text.strip()
                    break
        if "name" in entry:
            before = []
            j = i - 1
            while (
                j > prev
                and len(before) < 2
                and not lines[j].used
                and header_like(lines[j].text, 60)
            ):
                if not before and title_score(lines[j].text) == 0:
                    break
                if before and len(lines[j].text) > 40:
                    break
                before.insert(0, lines[j].text)
                j -= 1
            pos = entry.get("position", "")
            if before and not pos:
                entry["position"] = " ".join(before)
            elif before and pos and len(before) == 1 and len(pos.split()) <= 1:
                entry["position"] = before[0] + " " + pos
    if "position" not in entry and entry.get("name"):
        target = _squash_name(entry["name"])
        for j in range(prev + 1, i):
            sq = _squash_name(lines[j].text)
            if sq and len(lines[j].text) <= 60 and (sq == target or sq.startswith(target)):
                if j + 1 < i and header_like(lines[j + 1].text, 70) and not lines[j + 1].range:
                    entry["position"] = lines[j + 1].text
                    lines[j + 1].used = True
                break


def _detached_headers(lines: list[Line], anchors: list[int]) -> dict[int, str]:
    """Two-column renders read out of order print "Title, Company" lines apart
    from their dates. When several such lines stand away from any date, give
    them, in order, to the dated entries of the section that have no title."""
    anchor_set = set(anchors)
    cands = []
    for j, ln in enumerate(lines):
        t = ln.text.strip()
        if ln.range or ln.used or ", " not in t or not header_like(t, 80):
            continue
        if ln.section not in (None, "work", "education"):
            continue
        left = t.rsplit(", ", 1)[0]
        if title_score(left) > 0 and degree_score(t) == 0 and len(t.split(", ")) == 2:
            cands.append((j, "work", t))
        elif t.count(", ") >= 2 and degree_score(t) > 0:
            cands.append((j, "education", t))
    out: dict[int, str] = {}
    for kind in ("work", "education"):
        own = [c for c in cands if c[1] == kind]
        far = [c for c in own if c[0] - 1 not in anchor_set and c[0] + 1 not in anchor_set]
        if len(own) < 2 or len(far) * 2 < len(own):
            continue
        targets = []
        for a in anchors:
            if lines[a].section != kind:
                continue
            rest = _clean_part(remove_range(lines[a].text, lines[a].range))
            if not rest:
                targets.append(a)
        for (j, _, t), a in zip(own, targets, strict=False):
            out[a] = t
            lines[j].used = True
    return out


def entry_confidence(entry: dict, kind: str, anchor: Line | None) -> dict[str, str]:
    """ "high" / "low" per field of an entry: a value that matched its own
    kind of words (a title word, a company form, an institution or degree
    word) under its own heading is high; a value placed by position only is low."""
    own = anchor is not None and anchor.section == kind

    def level(ok: bool) -> str:
        return "high" if ok and own else "low"

    conf: dict[str, str] = {}
    if kind == "work":
        name, pos = entry.get("name", ""), entry.get("position", "")
        if name:
            conf["name"] = level(role_score(name) <= 0 and (role_score(pos) > 0 or not pos))
        if pos:
            conf["position"] = level(role_score(pos) > 0)
    else:
        if entry.get("institution"):
            conf["institution"] = level(institution_score(entry["institution"]) > 0)
        if entry.get("studyType"):
            conf["studyType"] = level(degree_score(entry["studyType"]) > 0)
        if entry.get("area"):
            conf["area"] = level(bool(entry.get("studyType")))
    if anchor is not None and anchor.range:
        dated = level(anchor.range.has_range)
        conf["startDate"] = dated
        conf["endDate"] = dated
    return conf


def _lone_school_dates_end(school_dates: list[tuple[dict, bool]]) -> None:
    """Where no school prints a range, each school's lone date is when it
    ended: a CV that gives a school one date gives its graduation ("B.A., May
    2012"). Among schools that print ranges, a lone date is one still going
    or one whose range the layout broke; it stays the start."""
    if not school_dates or not all(lone for _, lone in school_dates):
        return
    for entry, _ in school_dates:
        entry["endDate"] = entry.pop("startDate")


def _body(lines: list[Line], start: int, end: int) -> list[str]:
    out: list[str] = []
    for j in range(start, end):
        ln = lines[j]
        if ln.used or ln.range:
            continue
        t = strip_html(strip_bullet(ln.text))
        if not t:
            continue
        if out and (
            t[0].islower() or not out[-1].endswith((".", "!", "?", ":", "。")) and len(out[-1]) > 60
        ):
            out[-1] = out[-1] + " " + t
        else:
            out.append(t)
    return [o for o in out if len(o) > 2][:30]
