"""Work entries: which header piece is the employer and which the position, by
the line model when it is sure, else by the word rules.
"""

from __future__ import annotations

import re

from ..learned import context as learned
from ..local_rules.line import Line
from ..local_rules.places import parse_location
from ..local_rules.scores import _clean_part, _split_at, header_like, role_score, title_score

# Where an entry's header joins its pieces: "Acme — Engineer", "Engineer | Acme",
# "Engineer @ Acme", "Acme, Springfield".
_PIECE_SEP = re.compile(r"\s+(?:[—–|·•@]|-{1,2}|at)\s+|,\s+|\s{2,}")
_PIECE_TAIL = re.compile(r"(?i)^(?:inc|llc|ltd|gmbh|s\.?a|s\.?l|ag|co|corp|plc|b\.?v)\.?$")


def _part_pieces(part: str) -> list[tuple[str, str]]:
    """(piece, the separator before it) of one header part; a legal form
    after a comma ("Acme, Inc.") stays with its name."""
    bits = _split_outside_brackets(part)
    out: list[tuple[str, str]] = []
    sep = ""
    for k, bit in enumerate(bits):
        if k % 2:
            sep = bit
            continue
        x = bit.strip(" ,;|·•")
        if not x:
            continue
        if out and _PIECE_TAIL.match(x):
            out[-1] = (f"{out[-1][0]}{sep}{x}", out[-1][1])
        else:
            out.append((x, sep))
    return out if 1 < len(out) <= 4 else [(part, "")]


def _split_outside_brackets(part: str) -> list[str]:
    """`part` split at its separators, as `re.split` with the separators kept,
    except inside brackets: "Acme (Springfield, IL) — Engineer"."""
    depth, inside = 0, []
    for ch in part:
        depth = depth + 1 if ch == "(" else max(0, depth - 1) if ch == ")" else depth
        inside.append(depth > 0)
    bits, last = [], 0
    for m in _PIECE_SEP.finditer(part):
        if inside[m.start()]:
            continue
        bits.extend([part[last : m.start()], m.group(0)])
        last = m.end()
    bits.append(part[last:])
    return bits


def header_pieces(parts: list[str]) -> list[str]:
    """The parts of an entry's header cut where separators join them."""
    return [x for p in parts for x, _ in _part_pieces(p)]


def _work_by_model(parts: list[str]) -> tuple[dict, float] | None:
    """Title and employer among the header's pieces, by the phrase model, where
    it is sure; None to let the rules decide."""
    pieces = header_pieces(parts)
    probs = [learned.phrase(x) for x in pieces]
    if not probs or probs[0] is None:
        return None
    if len(pieces) == 1:
        p = probs[0]
        if p.get("position", 0) >= 0.6:
            return {"position": pieces[0]}, p["position"]
        if p.get("employer", 0) >= 0.6:
            return {"name": pieces[0]}, p["employer"]
        return None
    # Which piece reads most as the title and which as the employer, each
    # measured against the other (an employer the model never saw still reads
    # less as a title than "Senior Engineer" does).
    best, best_score = None, 0.0
    for i, pi in enumerate(probs):
        for j, pj in enumerate(probs):
            if i != j and not _DURATION.match(pieces[j]):
                score = (
                    pi.get("position", 0)
                    - pj.get("position", 0)
                    + pj.get("employer", 0)
                    - pi.get("employer", 0)
                )
                if score > best_score:
                    best, best_score = (i, j), score
    if best is None or best_score < learned.PAIR_MARGIN:
        return None
    i_pos, j_emp = best
    position = _span(parts, probs, i_pos, j_emp, "position")
    name = _without_place(_span(parts, probs, j_emp, i_pos, "employer"))
    return {"position": position, "name": name}, best_score


_DURATION = re.compile(r"^\(?\d+(?:[.,]\d+)?\+?\s+[^\W\d_]+\)?$")


def _span(parts: list[str], probs: list[dict], center: int, other: int, kind: str) -> str:
    """Piece `center` with its neighbours of the same part that are neither
    the other field, a place, nor a duration ("Acme - Games Division",
    "Leader, Developer & Consultant"), rejoined with their own separators."""
    spans: list[list[tuple[int, str, str]]] = []
    n = 0
    for p in parts:
        spans.append([])
        for piece, sep in _part_pieces(p):
            spans[-1].append((n, piece, sep))
            n += 1
    group = next(g for g in spans if any(k == center for k, _, _ in g))
    pieces = {k: (piece, sep) for k, piece, sep in group}
    opposite = "employer" if kind == "position" else "position"

    def joinable(k: int, towards: int) -> bool:
        sep = pieces[max(k, towards)][1].strip().casefold()
        return (
            k != other
            and sep not in ("at", "@", "|", "—", "–")
            and pieces[k][0] != pieces[towards][0]
            and not _DURATION.match(pieces[k][0])
            and probs[k].get("location", 0) < 0.5
            and probs[k].get(opposite, 0) < 0.5
        )

    idx = [k for k, _, _ in group]
    at = idx.index(center)
    lo = hi = at
    while lo > 0 and joinable(idx[lo - 1], idx[lo]):
        lo -= 1
    while hi + 1 < len(idx) and joinable(idx[hi + 1], idx[hi]):
        hi += 1
    text = ""
    for pos in range(lo, hi + 1):
        _, piece, sep = group[pos]
        text = piece if pos == lo else f"{text}{sep}{piece}"
    return text


_TRAILING_PAREN = re.compile(r"\s*\(([^()]{2,40})\)\s*$")


def _without_place(name: str) -> str:
    """ "Acme (Springfield)", "Acme (Remote)": the employer without the place
    in brackets after it, where the phrase model reads it as a place."""
    m = _TRAILING_PAREN.search(name)
    if not m or m.start() == 0:
        return name
    if parse_location(m.group(1)):
        return name[: m.start()]  # "Acme (Springfield, Freedonia)"
    p = learned.phrase(m.group(1))
    if p is not None and p.get("location", 0) >= 0.5:
        return name[: m.start()]
    if _REMOTE.search(m.group(1)):
        return name[: m.start()]
    return name


_REMOTE = re.compile(r"(?i)\b(?:remote|remoto|télétravail|hybrid)\b")


def _place_cell(cell: str) -> bool:
    """A run of its own that is a place: "La Jolla, CA, USA", "Remote", or
    one the phrase model reads as a place and not as an employer."""
    if any(ch.isdigit() for ch in cell) or len(cell.split()) > 6:
        return False
    if parse_location(cell) or (_REMOTE.search(cell) and len(cell.split()) <= 3):
        return True
    p = learned.phrase(cell)
    return p is not None and p.get("location", 0) >= 0.5 and p.get("employer", 0) < 0.5


def without_place_cell(name: str, header: list[Line], position: str = "") -> str:
    """The employer without the place printed after it across a wide gap
    ("MAVERiC Studio <gap> La Jolla, CA, USA", "Acme <gap> Remote"): the
    header's parts have lost the gap, and the pieces of the place read as
    part of the name or as the name itself ("USA"). `header`: the entry's
    title lines; a run that is the entry's `position` is never the employer
    ("Data Engineer <gap> Acme <gap> Remote")."""
    sq, sp = _squash(name), _squash(position)
    for ln in header:
        cells = [c.strip() for c in ln.cells]
        for k in range(1, len(cells)):
            if not _place_cell(cells[k]):
                continue
            for j in range(k):  # the employer's runs, the widest first
                head = " ".join(cells[j:k])
                sh = _squash(head)
                if any(ch.isdigit() for ch in head) or (sp and sp in sh):
                    continue
                if sq.startswith(sh) and sq != sh:
                    return head
            before = cells[k - 1]
            if (
                sq
                and sq in _squash(cells[k])
                and not any(ch.isdigit() for ch in before)
                and _squash(before) != sp
            ):
                return before  # the place's last piece read as the employer
    return name


def _work(parts: list[str]) -> dict:
    """Title and employer of a job's header parts: the rules, and where they
    find only one of the two, or cannot tell which is which, the model; a
    title line beside an employer line of its own is kept whole."""
    parts = [_without_trailing_place(p) for p in parts]
    entry = _title_as_written(parts, _work_read(parts))
    if entry.get("name") and entry.get("position"):
        # "Acme (Springfield)": the employer without the place printed after it
        entry["name"] = _without_place(entry["name"]) or entry["name"]
    return entry


def _without_trailing_place(part: str) -> str:
    """ "DexYP, Architect, Dallas, TX": a header part of employer, title and
    place, all cut by commas; the place at its end ("Dallas, TX", "Stockholm,
    Sweden") is no part of either, where two pieces at least stay."""
    pieces = part.split(", ")
    if len(pieces) < 4:
        return part
    if parse_location(", ".join(pieces[-2:])):
        return ", ".join(pieces[:-2])
    return part


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().casefold()


def _title_as_written(parts: list[str], entry: dict) -> dict:
    """The employer printed on a line of its own: the other line is the title
    as the person wrote it, whole. "Rails Developer - Acme Insurance" over
    "Acme Insurance" is that title, not "Rails Developer" with the employer
    split off a second time."""
    name, position = entry.get("name"), entry.get("position")
    if len(parts) != 2 or not name or not position:
        return entry
    squashed = [_squash(p) for p in parts]
    if _squash(name) not in squashed:
        return entry
    title = parts[1 - squashed.index(_squash(name))]
    if _squash(position) == _squash(title) or _squash(position) not in _squash(title):
        return entry
    return {**entry, "position": title}


def _work_read(parts: list[str]) -> dict:
    ruled = _work_by_rules(parts)
    if len(parts) >= 2 and role_score(parts[0]) == role_score(parts[1]):
        order = learned.work_order(parts[0], parts[1])
        if order is not None:
            a, b = parts[0], parts[1]
            return {"position": a, "name": b} if order else {"position": b, "name": a}
    by_model = _work_by_model(parts)
    if by_model is None:
        return ruled
    model, sure = by_model
    if "name" in ruled and "position" in ruled and sure < learned.OVERRULE_MARGIN:
        return ruled  # the rules found both; the model is not sure enough to differ
    return model


def _work_by_rules(parts: list[str]) -> dict:
    if len(parts) == 1:
        p = parts[0]
        s = _split_at(p)
        if s:
            return {"position": s[0], "name": s[1]}
        if ", " in p and title_score(p.rsplit(", ", 1)[0]) > 0:
            a, b = p.rsplit(", ", 1)
            return {"position": a, "name": b}
        if role_score(p) > 0:
            return {"position": p}
        return {"name": p}
    a, b = parts[0], parts[1]
    sa, sb = role_score(a), role_score(b)
    if sb > sa:
        return {"position": b, "name": a}
    return {"position": a, "name": b}


# "Title — Employer", "Title, Employer", "Title at Employer", "Title | Employer"
_JOINED_HEADER = re.compile(r"\s[—–|@]\s|,\s|\sat\s")


def undated_work(lines: list[Line], work: list[dict]) -> list[dict]:
    """Jobs printed without dates: where the work section has no dated entry
    at all, each of its lines that joins a title and an employer ("Analyst,
    Acme", "Analyst — Acme", "Analyst at Acme") is a job."""
    if work or not any(ln.section == "work" for ln in lines):
        return []
    if any(ln.section == "work" and ln.range for ln in lines):
        return []
    out = []
    for ln in lines:
        if ln.section != "work" or ln.used:
            continue
        t = _clean_part(ln.text)
        if not header_like(t, 120) or not _JOINED_HEADER.search(t) or t.endswith("."):
            continue
        if ln.probs.get("other", 0.0) >= learned.BODY_P:
            continue  # a sentence of an entry's text, where the line model is sure
        pieces = header_pieces([t])
        entry = _work(pieces if len(pieces) == 2 else [t])
        name, position = entry.get("name", ""), entry.get("position", "")
        if name and position and role_score(position) > 0 and len(name.split()) <= 6:
            ln.used = True
            entry["_conf"] = {k: "low" for k in entry}
            out.append(entry)
    return out
