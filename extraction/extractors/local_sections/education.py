"""Education entries: institution, degree and field of study, by the line model
when it is sure, else by the word rules; degree lines without dates.
"""

from __future__ import annotations

import itertools
import re

from ..learned import context as learned
from ..local_rules.dates import find_range
from ..local_rules.line import Line
from ..local_rules.places import parse_location
from ..local_rules.scores import (
    _clean_part,
    _split_at,
    degree_score,
    header_like,
    institution_score,
)
from .degrees import split_degree
from .headers import school_at_place
from .work import _part_pieces, header_pieces

_PLACE_PIECE = re.compile(r"^[^\W\d_][\w'’.-]*(?: [^\W\d_][\w'’.-]*){0,2}$")


def _education_by_model(parts: list[str]) -> dict | None:
    """Institution, degree and field among the header's pieces, by the phrase
    model, where it is sure of the institution; None to let the rules decide."""
    pieces = header_pieces(parts)
    probs = [learned.phrase(x) for x in pieces]
    if not probs or probs[0] is None:
        return None
    inst = max(range(len(pieces)), key=lambda k: probs[k].get("institution", 0))
    if probs[inst].get("institution", 0) < 0.5:
        return None
    # "Leading University, Springfield, Freedonia": the places after a school's
    # name in its own part stay with it, as the rules keep them.
    owner = [n for n, p in enumerate(parts) for _ in _part_pieces(p)]
    tail = [k for k in range(inst + 1, len(pieces)) if owner[k] == owner[inst]]
    places = (
        tail
        if tail
        and all(
            probs[k].get("location", 0) >= 0.5
            or _PLACE_PIECE.match(pieces[k])
            and degree_score(pieces[k]) == 0
            and institution_score(pieces[k]) == 0
            and probs[k].get("area", 0) < 0.5
            for k in tail
        )
        else []
    )
    out: dict = {"institution": ", ".join(pieces[x] for x in [inst, *places])}
    roles = ("studyType", "area", "location", "other")
    rest = [k for k in range(len(pieces)) if k != inst and k not in places]
    kinds = {k: max(roles, key=lambda r: probs[k].get(r, 0)) for k in rest}
    study = [k for k in rest if kinds[k] == "studyType"]
    area = [k for k in rest if kinds[k] == "area"]
    if len(area) >= 2 and not study:
        # two fields: the more degree-like one is the degree
        k = max(area, key=lambda k: probs[k].get("studyType", 0))
        study, area = [k], [x for x in area if x != k]
    if study and area:
        out.update(studyType=pieces[study[0]], area=pieces[area[0]])
    elif study or area:
        k = (study or area)[0]
        s, a = split_degree(pieces[k])
        if a:
            out.update(studyType=s, area=a)
        elif study:
            out["studyType"] = s
        else:
            out["area"] = s
    return out


# A grade printed after a dash at the end of a degree's line ("Liberal Arts,
# B.A. — 3.5", "MSc – 3.8/4.0"): the score, no part of the degree or field.
_GRADE_AFTER = re.compile(r"\s+[—–]\s*\d(?:[.,]\d{1,2})?(?:\s*/\s*\d+(?:[.,]\d+)?)?\s*$")


def _without_grade(part: str) -> str:
    """`part` without a grade after a dash at its end; only its last characters
    are searched (a run of spaces before no dash costs nothing)."""
    tail = part[-24:]
    m = _GRADE_AFTER.search(tail)
    return (part[: len(part) - len(tail) + m.start()] if m else part) or part


def _education(parts: list[str]) -> dict:
    """School, degree and field of an education header's parts: the rules,
    and where they miss the school or both degree and field, the model."""
    parts = [_without_grade(p) for p in parts]
    ruled = _education_by_rules(parts)
    by_roles = _education_by_roles(parts, ruled)
    if by_roles is not None:
        return by_roles
    complete = ruled.get("institution") and (ruled.get("studyType") or ruled.get("area"))
    if not (complete and (ruled.get("area") or institution_score(ruled["institution"]) > 0)):
        ruled = _education_by_model(parts) or ruled
    if ruled.get("area") and not ruled.get("studyType"):
        dashed = _degree_dash_field(ruled["area"])
        if dashed:
            ruled["studyType"], ruled["area"] = dashed
    if ruled.get("area") and not ruled.get("studyType"):
        # "Associate of Science Computer Science": degree and field in one piece
        split = learned.split_degree(ruled["area"].split())
        if split and split[1] and _degree_like(split[0]):
            ruled["studyType"], ruled["area"] = split
    return ruled


def _school_p(text: str, probs: dict) -> float:
    """How much a piece of an education header reads as its school: what the
    phrase model leaves to neither a degree nor a field (in an education
    header a name the model never saw is the school, whatever kind of name
    it is); a degree's or a school's word settles it."""
    if institution_score(text) > 0:
        return 1.0
    if degree_score(text) > 0:
        return 0.0
    return max(0.0, 1.0 - probs.get("studyType", 0.0) - probs.get("area", 0.0))


def _education_by_roles(parts: list[str], ruled: dict) -> dict | None:
    """ "Technical Course" / "Information Systems" / "ZELTRAX": three
    pieces, one school, one degree, one field, and no school's word to say
    which is which. Each is given the role that makes the three likeliest
    by the phrase model, where the rules took for the school a piece that
    reads as a degree or a field; None to keep the rules' reading."""
    pieces = header_pieces(parts)
    if len(pieces) != 3 or any(institution_score(p) > 0 for p in pieces):
        return None
    probs = [learned.phrase(p) for p in pieces]
    if any(p is None for p in probs):
        return None
    school = [_school_p(t, p or {}) for t, p in zip(pieces, probs, strict=True)]
    degree = [
        1.0 if degree_score(t) > 0 else (p or {}).get("studyType", 0.0)
        for t, p in zip(pieces, probs, strict=True)
    ]
    field = [
        0.0 if degree_score(t) > 0 else (p or {}).get("area", 0.0)
        for t, p in zip(pieces, probs, strict=True)
    ]

    def likelihood(order: tuple[int, ...]) -> float:
        s, d, f = order
        return school[s] * degree[d] * field[f]

    s, d, f = max(itertools.permutations(range(3)), key=likelihood)
    ruled_school = ruled.get("institution")
    if ruled_school == pieces[s] or school[s] < 0.5 or min(degree[d], field[f]) < 0.5:
        return None  # also a school's name cut in two ("Zeltrax - Norvell", "Zeltrax, Springfield")
    if ruled_school in pieces and school[pieces.index(ruled_school)] >= 0.5:
        return None  # the rules' school reads as a school too: theirs stands
    return {"institution": pieces[s], "studyType": pieces[d], "area": pieces[f]}


def _degree_dash_field(text: str) -> tuple[str, str] | None:
    """ "Tecnicatura - Programación Informática", "Bootcamp | Software
    Development": a short degree, a dash or bar, its field; where the phrase model
    reads the head more as a degree than as a field and the tail as a field
    ("Computer Science - Cloud Computing" stays whole)."""
    m = _DASH.search(text)
    if not m:
        return None
    head, tail = text[: m.start()].strip(), text[m.end() :].strip()
    if not head or not tail or len(head.split()) > 4 or institution_score(head) > 0:
        return None
    ph, pt = learned.phrase(head), learned.phrase(tail)
    if ph is None or pt is None:
        return (head, tail) if degree_score(head) > 0 and degree_score(tail) == 0 else None
    if ph.get("studyType", 0) > max(0.5, ph.get("area", 0)) and pt.get("area", 0) >= 0.5:
        return head, tail
    return None


def _degree_like(text: str) -> bool:
    """A degree's name by its words, or by the phrase model where it is sure:
    "Information" of "Information Technology" is no degree."""
    if degree_score(text) > 0:
        return True
    p = learned.phrase(text)
    return p is not None and p.get("studyType", 0) >= SURE_DEGREE_P


SURE_DEGREE_P = 0.8


def _education_by_rules(parts: list[str]) -> dict:
    out: dict = {}
    pieces: list[str] = []
    for p in parts:
        s = _split_at(p) if " at " in f" {p} " and not school_at_place(p) else None
        if s:
            pieces.extend([s[0], s[1]])
        elif p.count(", ") >= 2 or (", " in p and degree_score(p)):
            subs = [x.strip() for x in p.split(", ")]
            # "Leading University, Springfield, Freedonia": an institution
            # followed by places only stays one piece
            k = next((n for n, x in enumerate(subs) if institution_score(x) > 0), None)
            if k is not None and k + 1 < len(subs):
                tail = subs[k + 1 :]
                if all(_place_after_school(x) for x in tail):
                    subs = subs[:k] + [", ".join(subs[k:])]
            pieces.extend(subs)
        else:
            pieces.append(p)
    pieces = [x for piece in pieces for x in _field_and_school(piece)]
    degree_part = next((p for p in pieces if degree_score(p) > 0), None)
    inst = [p for p in pieces if institution_score(p) > 0 and p != degree_part]
    if inst:
        out["institution"] = inst[-1] if len(inst) > 1 and degree_part is None else inst[0]
    if degree_part:
        study, area = split_degree(degree_part)
        out["studyType"] = study
        if area:
            out["area"] = area
        after = pieces.index(degree_part) + 1
        if area and after < len(pieces) and _field_after_degree(pieces[after]):
            # "Grado en Ingeniería, Ingeniería de software": the degree's whole
            # name, then its field
            out["studyType"], out["area"] = degree_part, pieces[after]
    rest = [p for p in pieces if p != degree_part and p != out.get("institution")]
    if "institution" not in out and rest:
        out["institution"] = rest[-1] if degree_part and pieces.index(degree_part) == 0 else rest[0]
        likelier = _likeliest_institution(rest)
        if likelier is not None:
            out["institution"] = likelier
        rest = [p for p in rest if p != out["institution"]]
    if "area" not in out and "studyType" not in out and len(rest) >= 2:
        # "Universitario" / "Ingeniería Electrónica": two pieces and no degree
        # word: the degree is printed before the field, unless the model
        # finds the second far more degree-like.
        out["studyType"], out["area"] = _degree_then_field(rest[0], rest[1])
    elif "area" not in out and rest:
        out["area"] = rest[0]
    if "studyType" not in out and out.get("area"):
        pair = _degree_comma_field(out["area"])
        if pair:
            out["studyType"], out["area"] = pair
    return out


def _place_after_school(text: str) -> bool:
    """ "Springfield" of "Leading University, Springfield": a short name with
    no degree or school word, which the phrase model does not read as a field
    of study ("Pondicherry University, Computer Engineering" names the field)."""
    if not _PLACE_PIECE.match(text) or degree_score(text) > 0 or institution_score(text) > 0:
        return False
    p = learned.phrase(text)
    return p is None or p.get("area", 0.0) < max(0.5, p.get("location", 0.0))


def _likeliest_institution(pieces: list[str]) -> str | None:
    """The piece the phrase model takes for the school, where it is sure and
    the others are not schools to it; None to keep the rules' choice."""
    probs = [learned.phrase(p) for p in pieces]
    if len(pieces) < 2 or any(p is None for p in probs):
        return None
    scores = [p.get("institution", 0.0) for p in probs if p is not None]
    best = max(range(len(pieces)), key=lambda k: scores[k])
    if scores[best] >= 0.5 and all(s < 0.5 for k, s in enumerate(scores) if k != best):
        return pieces[best]
    return None


def _degree_then_field(a: str, b: str) -> tuple[str, str]:
    pa, pb = learned.phrase(a), learned.phrase(b)
    if pa is not None and pb is not None:
        lean_a = pa.get("studyType", 0) - pa.get("area", 0)
        lean_b = pb.get("studyType", 0) - pb.get("area", 0)
        if lean_b - lean_a > learned.PAIR_MARGIN:
            return b, a
    return a, b


# a spaced dash or bar between two pieces, tried only where a run of spaces
# starts (no run scanned once per position)
_DASH = re.compile(r"(?<!\s)\s+[-–—|]\s+")


def _field_and_school(piece: str) -> list[str]:
    """ "Computer Science - Springfield University": a field and a school
    joined by a dash are two pieces; a school's own name with a dash in it
    ("Springfield Institute - School of Arts") and a degree beside a school
    ("Diplôme d'Ingénieur - Grande École") stay whole. With more dashes, the
    field is the first or the last piece and the school the rest
    ("Computer Science - Springfield Institute - SI"). A place before the
    school ("Freedonia - Springfield University") is left out."""
    dashes = list(_DASH.finditer(piece))
    if not dashes:
        return [piece]
    cuts = [dashes[0]] if len(dashes) == 1 else [dashes[0], dashes[-1]]
    for m in cuts:
        got = _field_or_place_and_school(piece[: m.start()], piece[m.end() :])
        if got is not None:
            return got
    return [piece]


def _field_or_place_and_school(a: str, b: str) -> list[str] | None:
    halves = [a, b]
    schools = [institution_score(h) > 0 for h in halves]
    if not any(schools):
        # no school word on either side: the phrase model's school, where it is sure
        probs = [learned.phrase(h) for h in halves]
        if any(p is None for p in probs):
            return None
        schools = [p.get("institution", 0) >= 0.5 for p in probs if p is not None]
    if schools.count(True) != 1:
        return None
    school_first = schools[0]
    other = halves[schools.index(False)]
    if _degree_comma_field(other):
        return halves  # "Honours, Quantum Computing - Springfield University"
    p = learned.phrase(other)
    if degree_score(other) == 0 and p is not None and p.get("area", 0) >= 0.5:
        return halves
    if not school_first and (
        parse_location(other) or (p is not None and p.get("location", 0) >= 0.5)
    ):
        return [b]  # "Freedonia - Springfield University"
    return None


def _field_after_degree(text: str) -> bool:
    """A piece printed after a degree's piece that is its field: no degree, no
    school and no place, and a field of study to the phrase model."""
    if degree_score(text) > 0 or institution_score(text) > 0 or parse_location(text):
        return False
    p = learned.phrase(text)
    return p is not None and p.get("area", 0) >= 0.5 and p.get("institution", 0) < 0.5


def _degree_comma_field(text: str) -> tuple[str, str] | None:
    """ "Honours, Quantum Computing", "Egresado, Computación e Informática":
    two short phrases, no school and no place, as themes print a degree and
    its field (the degree first, unless the model finds the second far more
    degree-like); None for anything else."""
    halves = [h.strip() for h in text.split(", ")]
    if len(halves) != 2 or not all(halves) or any(len(h.split()) > 6 for h in halves):
        return None
    if any(institution_score(h) > 0 for h in halves) or parse_location(text) is not None:
        return None
    if any(h[:1].isdigit() or find_range(h) for h in halves):
        return None
    probs = [learned.phrase(h) for h in halves]
    if any(p is not None and p.get("location", 0) >= 0.5 for p in probs):
        return None
    return _degree_then_field(halves[0], halves[1])


def _degree_line_by_model(ln: Line) -> bool:
    return ln.probs.get("degree", 0.0) >= 0.5 and header_like(ln.text, 90)


def undated_education(lines: list[Line]) -> list[dict]:
    """Education entries printed without dates: an institution line of the
    education section that no dated entry took, with its degree line."""
    out = []
    for j, ln in enumerate(lines):
        if ln.section != "education" or ln.used or ln.range:
            continue
        t = _clean_part(ln.text)
        if not header_like(t, 90) or institution_score(t) == 0:
            continue
        if j and lines[j - 1].used and lines[j - 1].section == "education":
            continue  # the wrapped end of a dated entry's title
        parts = [t]
        ln.used = True
        for k in (j + 1, j - 1):
            if 0 <= k < len(lines) and lines[k].section == "education" and not lines[k].used:
                other = _clean_part(lines[k].text)
                if header_like(other, 90) and degree_score(other) > 0 and not lines[k].range:
                    parts.append(other)
                    lines[k].used = True
                    # "Master of Arts" / "Communications" / "Indiana University":
                    # the field on a line of its own beside the degree
                    far = k + (k - j)
                    if (
                        0 <= far < len(lines)
                        and lines[far].section == "education"
                        and not lines[far].used
                        and not lines[far].range
                        and _degree_line_by_model(lines[far])
                        and institution_score(lines[far].text) == 0
                    ):
                        parts.append(_clean_part(lines[far].text))
                        lines[far].used = True
                    break
        entry = _education(parts)
        if entry:
            entry["_conf"] = {k: "low" for k in entry}
            out.append(entry)
    return out
