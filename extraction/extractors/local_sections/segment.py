"""Segmentation: the lines of a CV cut into sections by their headings (the
line model confirming a heading or vetoing one that reads as prose).
"""

from __future__ import annotations

import re

from ..learned import context as learned
from ..local_rules.dates import DateRange, find_range, is_duration, remove_range
from ..local_rules.headings import heading
from ..local_rules.line import Line
from ..local_rules.scores import _URL_IN, _clean_part, header_like
from ..local_rules.skills import _KW_SPLIT
from ..local_rules.vocab import FLUENCY_WORDS


def _is_contactish(text: str) -> bool:
    """A line of the contact block: an address, phone number, link or place."""
    return bool(
        re.search(r"@|https?://|www\.|\+?\d[\d\s().-]{6,}\d", text)
        or re.fullmatch(r"[\w .,'’-]{1,40}", text) is not None
        and len(text.split()) <= 3
        and "," in text
    )


def segment(
    lines: list[str],
    runs: list[tuple[str, ...]] | None = None,
    indented: list[bool] | None = None,
    probs: list[dict[str, float]] | None = None,
    gaps: list[bool] | None = None,
) -> list[Line]:
    """Lines with the section each falls in; heading lines become section marks.

    Two layout rules on top of "a heading starts a section":

    - a heading with nothing under it (the next line is another heading) that
      stands right after lines of the contact block or of no section is a
      side-column label printed below its content (two-column themes paint the
      label after the block): those lines, back to the previous heading and
      not contact data, take its section;
    - "A <dates 1> B" followed by a line of bare dates: B heads the next entry
      (two entries side by side rejoined into one row), so it becomes a line
      of its own.
    """
    heads = [heading(raw) for raw in lines]
    if probs:
        by_words = heads
        heads = [h or _model_heading(raw, p) for raw, h, p in zip(lines, heads, probs, strict=True)]
        heads = [
            None if h and not w and _dated_under(lines, heads, k, h[0]) else h
            for k, (h, w) in enumerate(zip(heads, by_words, strict=True))
        ]
    out: list[Line] = []
    section = None
    for k, raw in enumerate(lines):
        h = heads[k]
        cells = runs[k] if runs and k < len(runs) else ()
        if h and h[1] and len(cells) > 1 and not _rest_is_runs(h[1], cells):
            h = None  # "Social Engineering  SAST": the heading word is part of a run
        if h and _continues_skill_group(h, section, out) and not _fluency_follows(lines, k):
            h = None  # "Programming" / "Languages": a skill group's wrapped name
        if h and h[1] and len(cells) <= 1 and _label_in_entries(raw, h, section):
            h = None  # "Skills: Go · Rust" inside a job or an interest: a label
        if h and h[1] and len(cells) <= 1 and h[0] in ("contact", "profiles"):
            h = None  # "Social Engineering": an ambiguous word opening a line
        if (
            h
            and h[1]
            and len(cells) <= 1
            and probs
            and _model_title(probs[k])
            and not raw.split()[0].isupper()  # "EDUCATION  2022-05": a heading in capitals
        ):
            h = None  # "Project Leader – Design Solutions": a title the model is sure of
        if h and h[1] and len(cells) <= 1 and h[0] == section and section in ("work", "education"):
            h = None  # "Training Course in Statistics" under Education: one run, a line of it
        if not h and out and out[-1].range and is_duration(raw):
            continue  # "Déc. 2017 - Aujourd'hui" / "8 ans 11 mois": the length of the dates above
        if h and _wraps_group_name(raw, h, section, out):
            out[-1].text = out[-1].text + " " + raw.strip()  # "Leadership &" / "Skills"
            continue
        if h:
            section, rest = h
            if not rest:
                nxt = heads[k + 1] if k + 1 < len(heads) else ("end", "")
                if nxt and not nxt[1] and section not in ("contact", "profiles"):
                    _claim_block_above(out, section)
                continue
            raw = rest
            cells = next((cells[i:] for i in range(len(cells)) if " ".join(cells[i:]) == rest), ())
        line = Line(
            raw,
            section,
            cells,
            bool(indented and k < len(indented) and indented[k]),
            probs[k] if probs else None,
        )
        line.headed = bool(h)
        line.gap = bool(gaps and k < len(gaps) and gaps[k])
        r = find_range(raw)
        if r and (r.has_range or len(remove_range(raw, r)) <= 2 or r.span[0] == 0):
            line.range = r
        elif len(cells) > 1:
            # a date that is a run of its own ("Course in Statistics <tab> May
            # 2012"), where no range was found, or a lone date after text
            line.range = _cell_date(raw, cells)
        if line.range and _model_prose(raw, line.range, line.probs) and not _own_run(cells):
            line.range = None  # "Coding since 2004, professionally since 2010": a sentence
        out.append(line)
    out = _split_side_by_side(out)
    if probs:
        _claim_skill_blocks(out)
    return out


def _cell_date(raw: str, cells: tuple[str, ...]) -> DateRange | None:
    """A date that is a whole run of its line, the first or the last ("Course
    title  2025" with the year at a tab stop), placed in `raw`; a lone year
    beside text is otherwise taken for part of a sentence."""
    for cell, at in ((cells[-1], raw.rfind(cells[-1])), (cells[0], raw.find(cells[0]))):
        r = find_range(cell)
        if r is None or at < 0 or len(remove_range(cell, r)) > 2:
            continue
        return DateRange(r.start, r.end, r.present, (at + r.span[0], at + r.span[1]))
    return None


def _claim_skill_blocks(lines: list[Line]) -> None:
    """Skills printed with no heading (an icon, a side column after the
    contact block): a run of lines outside any section that the line model
    reads as skills, with the short group names between them, is the skills
    section. Such a run printed under the summary (a side column read after
    it) is taken from the summary when it is longer: three lines or more."""
    n, i = len(lines), 0
    open_sections = (None, "contact", "profiles", "summary")
    while i < n:
        ln = lines[i]
        if ln.section not in open_sections or ln.probs.get("skill", 0) < 0.7:
            i += 1
            continue
        j, found = i, 0
        while j < n and lines[j].section == ln.section:
            p = lines[j].probs.get("skill", 0)
            if p >= 0.5:
                found += 1
            elif not (
                len(lines[j].text.split()) <= 3
                and j + 1 < n
                and lines[j + 1].probs.get("skill", 0) >= 0.5
            ):
                break
            j += 1
        if found >= (3 if ln.section == "summary" else 2):
            above = lines[i - 1] if i else None
            start = (
                i - 1
                if above is not None
                and len(above.text.split()) <= 3
                and not above.range
                and above.probs.get("contact", 0) < 0.5
                else i
            )
            for k in range(max(start, 0), j):
                if lines[k].section in open_sections:
                    lines[k].section = "skills"
        i = max(j, i + 1)


_MODEL_SECTIONS = {
    "head_work": "work",
    "head_education": "education",
    "head_skills": "skills",
    "head_languages": "languages",
    # a heading of a section the extractor does not read: its dated lines
    # are not taken for jobs
    "head_other": "projects",
}


_JOINED = re.compile(r"\s[|·•—–@]\s|\s-\s")


def _model_title(probs: dict[str, float]) -> bool:
    """The line model reads the line as an entry's title line, more than as a
    heading, and is sure of it."""
    title = sum(probs.get(k, 0.0) for k in learned.TITLE_LABELS)
    head = sum(v for k, v in probs.items() if k.startswith("head_"))
    return title >= TITLE_NOT_HEADING_P and title > head


# how sure the line model must be of a title line to overrule a heading's word
TITLE_NOT_HEADING_P = 0.6


def _model_heading(raw: str, probs: dict[str, float]) -> tuple[str, str] | None:
    """A heading the word lists do not know ("Where I worked", an icon and a
    word in another language), taken where the line model is sure."""
    t = raw.strip()
    if not t or len(t) > 40 or any(c.isdigit() for c in t) or len(t.split()) > 5:
        return None
    if _JOINED.search(t):
        return None  # "Acme | Engineer", "Engineer — Acme": an entry's title, never a heading
    label = max(_MODEL_SECTIONS, key=lambda k: probs.get(k, 0.0))
    if probs.get(label, 0.0) < learned.HEADING_P:
        return None
    return (_MODEL_SECTIONS[label], "")


# sections whose lines carry no date ranges
_UNDATED = ("skills", "languages")
# how far under a heading the model found a dated line shows it is none
_DATED_WITHIN = 8


def _dated_under(lines: list[str], heads: list, k: int, section: str) -> bool:
    """A skills or languages heading only the line model found, with a date
    range under it before the next heading: a line of a job ("TODO" under
    a title), not a heading; skills carry no date ranges."""
    if section not in _UNDATED:
        return False
    for j in range(k + 1, min(len(lines), k + 1 + _DATED_WITHIN)):
        if heads[j]:
            return False
        r = find_range(lines[j])
        if r is not None and r.has_range:
            return True
    return False


def _model_prose(raw: str, rng: DateRange, probs: dict[str, float]) -> bool:
    """A sentence with a date in it, not an entry's date line, where the line
    model is sure: many words besides the dates ("Mar 2019 - Apr 2022 3 years
    1 month" is a date line)."""
    n, other = len(remove_range(raw, rng).split()), probs.get("other", 0.0)
    return n > 9 and other >= learned.PROSE_P or n > 5 and other >= learned.PROSE_SURE_P


def _own_run(cells: tuple[str, ...]) -> bool:
    """Whether the line's first or last run is a date range and nothing else
    ("Acme — Engineer <tab> Sep 2024 – now"): a layout sets an entry's dates
    apart so; a sentence does not put its dates in a run of their own."""
    if len(cells) < 2:
        return False
    for cell in (cells[0], cells[-1]):
        r = find_range(cell)
        if r is not None and r.has_range and len(remove_range(cell, r)) <= 2:
            return True
    return False


def _rest_is_runs(rest: str, cells: tuple[str, ...]) -> bool:
    """Whether a heading's `rest` is the line's last runs: the heading is a run
    of its own ("Skills  Python  Go"), not the start of a longer run."""
    return any(" ".join(cells[i:]) == rest for i in range(1, len(cells)))


def _fluency_follows(lines: list[str], k: int) -> bool:
    """A fluency word ("Native", "C1", "Courant") in the lines right after line k."""
    for t in lines[k + 1 : k + 5]:
        words = re.findall(r"[^\W\d_]+\d?", t.casefold())
        if any(w in FLUENCY_WORDS for w in words):
            return True
    return False


def _continues_skill_group(h: tuple[str, str], section: str | None, out: list[Line]) -> bool:
    if section != "skills" or h[0] != "languages" or h[1] or not out:
        return False
    prev = out[-1].text
    return out[-1].section == "skills" and len(prev.split()) == 1 and not prev.endswith((".", ":"))


_ENTRY_LIKE = ("work", "projects", "volunteer", "interests", "awards", "education", "publications")


def _label_in_entries(raw: str, h: tuple[str, str], section: str | None) -> bool:
    """ "Skills: Go, Rust" under a job or an interest names what the entry
    used: a label of the entry, not a new section."""
    first = raw.split(":", 1)[0] if ":" in raw else ""
    return (
        section in _ENTRY_LIKE
        and h[0] != section
        and bool(first)
        and len(first.split()) <= 2
        and raw[len(first) + 1 :].strip() == h[1]
    )


def _wraps_group_name(raw: str, h: tuple[str, str], section: str | None, out: list[Line]) -> bool:
    """A skills heading word alone, inside the skills section, right after a
    short group name: the end of that name ("Leadership & Communication" /
    "Skills"), not the section's heading again."""
    if h[1] or h[0] != "skills" or section != "skills" or not out or raw.isupper():
        return False
    prev = out[-1]
    t = prev.text
    return (
        prev.section == "skills"
        and not prev.range
        and not prev.cells
        and len(t.split()) <= 4
        and not t.endswith((".", ":", ",", "·"))
        and _KW_SPLIT.search(t) is None
    )


def _claim_block_above(out: list[Line], section: str) -> None:
    j = len(out) - 1
    claimed = []
    while j >= 0 and out[j].section in (None, "contact") and not _is_contactish(out[j].text):
        if out[j].range:
            return
        claimed.append(j)
        j -= 1
    if j >= 0 and out[j].section not in (None, "contact"):
        return
    for c in claimed:
        out[c].section = section


def _split_side_by_side(out: list[Line]) -> list[Line]:
    res: list[Line] = []
    for k, ln in enumerate(out):
        r = ln.range
        nxt = out[k + 1] if k + 1 < len(out) else None
        if (
            r
            and r.has_range
            and nxt is not None
            and nxt.range
            and nxt.range.has_range
            and not _clean_part(remove_range(nxt.text, nxt.range))
            and r.span[1] < len(ln.text)
        ):
            tail = _clean_part(ln.text[r.span[1] :])
            if tail and header_like(tail, 70) and not _URL_IN.search(ln.text[r.span[1] :]):
                head = Line(ln.text[: r.span[1]].strip(), ln.section)
                head.range = find_range(head.text)
                res.append(head)
                res.append(Line(tail, ln.section))
                continue
        res.append(ln)
    return res
