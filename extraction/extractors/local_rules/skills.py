"""Skills: keyword groups from a skills section, written as lists, cells or
"Name: a, b, c" lines.
"""

from __future__ import annotations

import re

from .line import Line
from .text import strip_bullet
from .vocab import LEVEL_WORDS

# A keyword separator anywhere in the line (only ever searched for: the
# spaces around it, once part of this pattern, cost a scan per position).
_KW_SPLIT = re.compile(r"[,;·•|、，；]")
_KW_DOTS = re.compile(r"[;·•|、；]")


# A word a skill or group name cannot end with: the name goes on on the next
# line ("Procesamiento de" / "Datos").
_OPEN_END = re.compile(
    r"(?i)(?:^|\s)(?:[&/+]|and|of|for|in|with|de|del|y|e|et|des|du|la|und|für|mit|von|por|para)$"
)


def _skill_lines(lines: list[Line]) -> list[tuple[str, tuple[str, ...], bool]]:
    """The skills section's lines (text, runs, indented), a name wrapped after
    an open word joined to its next line."""
    out: list[tuple[str, tuple[str, ...], bool]] = []
    joinable = False
    for ln in lines:
        if ln.section != "skills" or ln.range:
            joinable = False
            continue
        t = ln.text if ln.text.startswith("&") else strip_bullet(ln.text)
        if out and not out[-1][1] and t.startswith("& ") and len(t.split()) <= 4:
            joinable = True  # "Additional Languages" / "& Frameworks"
        if joinable and not ln.cells and len(t.split()) <= 3:
            out[-1] = (out[-1][0] + " " + t, (), out[-1][2])
            joinable = False
            continue
        if out and re.fullmatch(r"\([^()]{1,30}\)", t):
            # "Continuous Delivery" / "(CI/CD)": an item's abbreviation wrapped
            prev_t, prev_cells, ind = out[-1]
            cells = (*prev_cells[:-1], prev_cells[-1] + " " + t) if prev_cells else ()
            out[-1] = (prev_t + " " + t, cells, ind)
            joinable = False
            continue
        if out and _open_paren(out[-1][0]) and ")" in t.split("(")[0]:
            # "Database Management (MySQL," / "PostgreSQL)": an item wrapped in its parentheses
            prev_t, prev_cells, ind = out[-1]
            cells = ln.cells or (t,)
            if prev_cells:
                cells = (*prev_cells[:-1], prev_cells[-1] + " " + cells[0], *cells[1:])
            elif len(cells) > 1:
                cells = (prev_t + " " + cells[0], *cells[1:])
            else:
                cells = ()
            out[-1] = (prev_t + " " + t, cells, ind)
            joinable = False
            continue
        out.append((t, ln.cells, ln.indented))
        joinable = not ln.cells and len(t) <= 60 and bool(_OPEN_END.search(t))
    return out


def _open_paren(t: str) -> bool:
    return t.count("(") > t.count(")")


def _outside_parens(t: str) -> str:
    return re.sub(r"\([^()]*\)?", "", t)


def _cell_keywords(cells: tuple[str, ...]) -> list[str]:
    """Keywords of a row of separate runs ("pills"): one per run, a run split
    further only on its own separators outside parentheses."""
    return [k for cell in cells for k in _keywords(strip_bullet(cell))]


def _names_kind(items: list[tuple[str, tuple[str, ...], bool]]) -> bool | None:
    """Word processors set a list's name and its items apart by indentation,
    either way round ("Cloud" / "\t\tAWS" / "\t\tAzure", or the names
    indented): the indentation whose lines stand alone between runs of the
    other is the names'. None when the lines are not set apart so."""
    kinds = [ind for t, cells, ind in items if not cells and not _is_level(t)]
    if len(set(kinds)) < 2:
        return None
    runs: dict[bool, list[int]] = {True: [], False: []}
    prev = None
    for k in kinds:
        if k == prev:
            runs[k][-1] += 1
        else:
            runs[k].append(1)
        prev = k
    mean = {k: sum(v) / len(v) for k, v in runs.items()}
    if mean[True] == 1 and mean[False] > 1:
        return True
    if mean[False] == 1 and mean[True] > 1:
        return False
    return None


def _is_level(t: str) -> bool:
    return t.casefold().strip(" :()") in LEVEL_WORDS


def _many_words(t: str) -> bool:
    """Several capitalised names run together with single spaces ("Python Go
    Rust Docker"), not one name of several words ("An Amount of Pytest")."""
    words = t.split()
    return len(words) >= 4 and all(w[0].isupper() or w[0].isdigit() for w in words)


def skills(lines: list[Line]) -> list[dict]:
    """Skill groups of the skills section. A line is one of: a level word (the
    group's level), "Name: a, b, c", a row of separate runs ("pills", one
    keyword each), a list with separators, or one item; a lone item followed
    by a level or a list names a group, otherwise it is one keyword. In a
    section of one item per line, a comma does not split an item."""
    items = _skill_lines(lines)
    names_kind = _names_kind(items)
    plain = [_outside_parens(t) for t, cells, _ in items if not cells and not _is_level(t)]
    comma_lists = sum(1 for t in plain if "," in t or "，" in t) * 10 >= len(plain) * 3
    out: list[dict] = []
    current: dict | None = None
    last = ""

    def start(name: str) -> dict:
        group = {"name": name, "keywords": []}
        out.append(group)
        return group

    for n, (t, cells, indented) in enumerate(items):
        if not t or len(t) > 200:
            continue
        if _is_level(t):
            if current is not None and "level" not in current:
                current["level"] = t.strip(" ()")
            continue
        if names_kind is not None and not cells:
            if indented == names_kind:
                current = start(t.strip(" :"))
            else:
                if current is None or current.get("closed"):
                    current = start("")
                seps = _KW_SPLIT.search(t) and (comma_lists or _KW_DOTS.search(t))
                current["keywords"].extend(_keywords(t) if seps else [t.strip(" .")])
                current["sure"] = True
            continue
        m = re.match(r"^([^:：]{1,60}?)\s*(?:\(([^)]{1,20})\))?\s*[:：]\s*(.+)$", t)
        if not m and not cells and current is not None and current.get("closed"):
            # the wrapped end of a "Name: a, b, c" line
            if last.rstrip().endswith((",", "，", ";")):
                current["keywords"].extend(_keywords(t))
                last = t
                continue
            if current["keywords"] and len(t.split()) <= 3:
                current["keywords"][-1] += " " + t.strip(" .")
                last = t
                continue
        last = t
        if m:
            current = start(m.group(1).strip())
            if m.group(2):
                current["level"] = m.group(2)
            current["keywords"] = _keywords(m.group(3))
            current["closed"] = True  # "Name: a, b" says all on one line
            current["sure"] = True
            continue
        has_seps = _KW_DOTS.search(t) or comma_lists and _KW_SPLIT.search(t)
        if cells or has_seps or t.endswith(("·", ",")):
            kws = _cell_keywords(cells) if cells else _keywords(t)
            if current is None or current.get("closed"):
                current = start("")
            current["sure"] = True
            current["keywords"].extend(kws)
            continue
        nxt = items[n + 1] if n + 1 < len(items) else None
        heads_list = nxt is not None and (
            _is_level(nxt[0])
            or nxt[1]
            or _KW_DOTS.search(nxt[0])
            or nxt[0].endswith(("·", ","))
            or comma_lists
            and _KW_SPLIT.search(nxt[0])
        )
        if heads_list and len(t.split()) <= 6 and not t.endswith("."):
            current = start(t.strip(" :"))
            continue
        kws = _space_keywords(t) if _many_words(t) else [t.strip(" .")]
        if current is None or current.get("closed"):
            current = start("")
        current["keywords"].extend(kws)
    result = []
    for s in out:
        kws = [k for k in dict.fromkeys(s.get("keywords") or []) if k]
        item = {k: v for k, v in (("name", s.get("name")), ("level", s.get("level"))) if v}
        if kws:
            item["keywords"] = kws
        item["_sure"] = bool(s.get("sure"))
        if len(item) > 1:
            result.append(item)
    return result


def _keywords(s: str) -> list[str]:
    """Split a keyword list on its separators outside parentheses; a list
    written with dots or bars ("Mentoring, Teaching · Empathy") keeps its
    commas inside the keywords."""
    seps = "·•|" if any(ch in s for ch in "·•|") else ",;、，；"
    out = []
    depth = 0
    buf = ""
    for ch in s:  # split on separators outside parentheses
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if depth == 0 and ch in seps:
            out.append(buf)
            buf = ""
        else:
            buf += ch
    out.append(buf)
    return [k.strip(" .:-–") for k in out if k.strip(" .:-–")]


def _space_keywords(s: str) -> list[str]:
    """Split "SDLC HTML Threat Modeling OWASP Top 10" on spaces, keeping a word
    with its lower-case, numeric or parenthesised continuation."""
    tokens = re.findall(r"\S+\s*\([^)]*\)|\S+", s)
    out: list[str] = []
    for tok in tokens:
        if out and (
            tok[0].islower()
            or tok[0].isdigit()
            and not out[-1][-1].isdigit()
            or tok.startswith("(")
            or out[-1].endswith(("/", "&", "-"))
            or tok in ("/", "&", "-")
        ):
            out[-1] = out[-1] + " " + tok
        else:
            out.append(tok)
    return out
