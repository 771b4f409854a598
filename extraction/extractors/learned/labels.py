"""Weak labels for training the line model: each line of a generated document
labelled from its truth (a line equal to a work entry's employer is
`employer`, a short line right above a section's content is its heading, ...).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict

from ..local_rules.dates import find_range
from ..local_rules.text import strip_bullet


def _norm(s) -> str:
    if not isinstance(s, str):
        s = "" if s is None else str(s)
    s = unicodedata.normalize("NFKC", s).casefold()
    return re.sub(r"\s+", " ", s).strip(" .,;:-–—|/()·•\t")


def _entries(v) -> list[dict]:
    return [e for e in v if isinstance(e, dict)] if isinstance(v, list) else []


def _same(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    if abs(len(a) - len(b)) > 0.2 * max(len(a), len(b)):
        return False  # a ratio of 0.9 cannot be reached
    m = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return m.quick_ratio() >= 0.9 and m.ratio() >= 0.9


def _strip_values(line: str, values: list[str]) -> str:
    for v in sorted(values, key=len, reverse=True):
        if v and v in line:
            line = line.replace(v, " ", 1)
    return line


_CONNECTORS = re.compile(
    r"\b(?:in|of|en|de|del|der|des|di|do|da|im|at|a|the|y|and|et|und|e|for|para|pour|à|bei|chez|em)\b"
)


def _rest_small(line: str, values: list[str]) -> bool:
    rest = _strip_values(line, values)
    r = find_range(rest)
    if r is not None:
        rest = rest[: r.span[0]] + rest[r.span[1] :]
    rest = _CONNECTORS.sub(" ", rest)
    rest = re.sub(r"[\W_]+", "", rest)
    return len(rest) <= 3


def _skill_items(truth: dict) -> set[str]:
    out = set()
    for s in _entries(truth.get("skills")):
        items = [s.get("name")] + (s.get("keywords") if isinstance(s.get("keywords"), list) else [])
        for it in items:
            if isinstance(it, dict):
                it = it.get("name")
            n = _norm(it)
            if n:
                out.add(n)
    return out


def _other_values(truth: dict) -> dict[str, set[str]]:
    """Names of the entries of the sections that are not scored, by section."""
    out: dict[str, set[str]] = defaultdict(set)
    keys = {
        "projects": ("name",),
        "awards": ("title",),
        "volunteer": ("organization", "name", "position"),
        "publications": ("name",),
        "certificates": ("name",),
        "interests": ("name",),
        "references": ("name",),
    }
    for section, fields in keys.items():
        for e in _entries(truth.get(section)):
            for f in fields:
                n = _norm(e.get(f))
                if len(n) >= 4:
                    out[section].add(n)
    for e in _entries(truth.get("languages")):
        n = _norm(e.get("language") or e.get("name"))
        if n:
            out["languages"].add(n)
    return out


_SECTION_OF = {
    "employer": "work",
    "position": "work",
    "employer_position": "work",
    "institution": "education",
    "degree": "education",
    "institution_degree": "education",
    "skill": "skills",
}


def label_lines(lines: list[str], truth: dict) -> list[str]:
    """One weak label per line (see the module's docstring)."""
    b = truth.get("basics") if isinstance(truth.get("basics"), dict) else {}
    name = _norm(b.get("name"))
    email = _norm(b.get("email"))
    phone = re.sub(r"\D", "", str(b.get("phone") or ""))[-9:]
    loc = b.get("location") if isinstance(b.get("location"), dict) else {}
    city = _norm(loc.get("city"))
    jobs = []
    for w in _entries(truth.get("work")):
        jobs.append(
            (
                _norm(w.get("name") or w.get("company")),
                _norm(w.get("position")),
                _norm(w.get("location")),
            )
        )
    schools = []
    for e in _entries(truth.get("education")):
        schools.append(
            (_norm(e.get("institution")), _norm(e.get("studyType")), _norm(e.get("area")))
        )
    skills = _skill_items(truth)
    others = _other_values(truth)
    summary = _norm(b.get("summary"))

    labels: list[str] = []
    content: list[str | None] = []  # the section a line's content belongs to
    for raw in lines:
        t = _norm(strip_bullet(raw))
        label, sect = "other", None
        digits = re.sub(r"\D", "", raw)
        r = find_range(raw)
        date_only = False
        if r is not None:
            rest = raw[: r.span[0]] + raw[r.span[1] :]
            # "Mar 2019 - Apr 2022 (3 years 1 month)" is a date line too
            rest = _DURATION_WORDS.sub(" ", rest) if r.has_range else rest
            date_only = len(re.sub(r"[\W_]+", "", rest)) <= 2
        if not t:
            pass
        elif name and _same(t, name):
            label = "name"
        elif _is_contact(t, digits, email, phone, city, jobs):
            label = "contact"
        else:
            label, sect = _entry_label(t, jobs, schools)
            if label == "other":
                if date_only:
                    label = "date"
                elif _is_skill_line(t, skills):
                    label, sect = "skill", "skills"
                else:
                    for section, values in others.items():
                        if any(
                            v == t or (len(v) >= 8 and v in t and len(t) <= len(v) + 30)
                            for v in values
                        ):
                            sect = section
                            break
                    if sect is None and summary and len(t) >= 30 and t in summary:
                        sect = "summary"
        labels.append(label)
        content.append(sect)

    # A title wrapped over two lines in a narrow column ("Springfield State
    # University San" / "Luis Obispo"): each line is a part of that title.
    for i in range(len(lines) - 1):
        if labels[i] != "other" and labels[i + 1] != "other":
            continue
        if content[i] is not None or content[i + 1] is not None:
            continue
        a, b = strip_bullet(lines[i]), strip_bullet(lines[i + 1])
        if not a or not b or len(a) > 80 or len(b) > 80:
            continue
        joined = _norm(a[:-1] + b if a.endswith("-") else a + " " + b)
        label, sect = _entry_label(joined, jobs, schools)
        if label != "other" and _norm(a) != joined and _norm(b) != joined:
            labels[i] = labels[i + 1] = label
            content[i] = content[i + 1] = sect

    # A name wrapped over two or three lines in large type ("Adelis Jose" /
    # "Trocoso"): each line is a part of the name.
    for i in range(len(lines)):
        for k in (2, 3):
            piece = lines[i : i + k]
            if not name or len(piece) < k or any(labels[j] != "other" for j in range(i, i + k)):
                continue
            if any(not p.strip() or len(p.strip()) > 40 for p in piece):
                continue
            if _same(_norm(" ".join(p.strip() for p in piece)), name):
                labels[i : i + k] = ["name"] * k
                break

    # Headings: a short unlabelled line right above the first content line of
    # a section that differs from the section of the content before it.
    last_sect = None
    for i, sect in enumerate(content):
        if sect is None:
            continue
        if sect != last_sect:
            for j in range(i - 1, max(-1, i - 4), -1):
                if labels[j] != "other" and labels[j] != "date":
                    break
                if content[j] is not None:
                    break
                cand = lines[j].strip()
                if _heading_shaped(cand):
                    labels[j] = {
                        "work": "head_work",
                        "education": "head_education",
                        "skills": "head_skills",
                        "languages": "head_languages",
                    }.get(sect, "head_other")
                    break
        last_sect = sect
    return labels


_DURATION_WORDS = re.compile(r"\d+\s*[^\W\d_]{1,8}\.?")
_LINK = re.compile(r"https?:|www\.|\b(?:github|linkedin|gitlab)\.com/")


def _is_contact(t: str, digits: str, email: str, phone: str, city: str, jobs: list) -> bool:
    """A line printing the e-mail, phone, a link, or the city (not a job's)."""
    if (email and email in t) or (len(phone) >= 7 and phone in digits):
        return True
    if len(t) <= 80 and _LINK.search(t):
        return True
    near_city = bool(city) and city in t and len(t) <= len(city) + 40
    return near_city and not any(j[0] and j[0] in t for j in jobs)


def _heading_shaped(t: str) -> bool:
    if not t or len(t) > 40 or any(c.isdigit() for c in t) or "@" in t:
        return False
    if re.match(r"^\s*[-•*·▪◦‣●○■]", t):
        return False
    return len(t.split()) <= 5


def _entry_label(
    t: str, jobs: list[tuple[str, str, str]], schools: list[tuple[str, str, str]]
) -> tuple[str, str | None]:
    """The label of line `t` by the entries' values; a job's place printed
    beside its employer or title ("Acme  Berlin") does not count against it."""
    for company, position, place in jobs:
        if (
            company
            and position
            and company in t
            and position in t
            and _rest_small(t, [company, position, place])
        ):
            return "employer_position", "work"
    for inst, study, area in schools:
        parts = [p for p in (study, area) if p]
        if (
            inst
            and parts
            and inst in t
            and any(p in t for p in parts)
            and _rest_small(t, [inst] + parts)
        ):
            return "institution_degree", "education"
    for company, position, place in jobs:
        if company and (_same(t, company) or (company in t and _rest_small(t, [company, place]))):
            return "employer", "work"
        if position and (
            _same(t, position) or (position in t and _rest_small(t, [position, place]))
        ):
            return "position", "work"
    for inst, study, area in schools:
        if inst and (_same(t, inst) or (inst in t and _rest_small(t, [inst]))):
            return "institution", "education"
        parts = [p for p in (study, area) if p]
        if parts and any(p in t for p in parts) and _rest_small(t, parts):
            return "degree", "education"
        if any(_same(t, p) for p in parts):
            return "degree", "education"
    return "other", None


def _is_skill_line(t: str, skills: set[str]) -> bool:
    if not skills or len(t) > 200:
        return False
    pieces = [p.strip() for p in re.split(r"[,;|•·/]|\s{2,}|:", t) if p.strip()]
    if not pieces:
        return False
    hits = sum(1 for p in pieces if _norm(p) in skills)
    if hits >= 1 and hits * 2 >= len(pieces):
        return True
    # "Node.js PHP Ruby", "React React Native": items side by side, spaces only
    words = t.split()
    if not 2 <= len(words) <= 10:
        return False
    covered, k = 0, 0
    while k < len(words):
        for n in (3, 2, 1):
            if k + n <= len(words) and _norm(" ".join(words[k : k + n])) in skills:
                covered += n
                k += n
                break
        else:
            k += 1
    return covered * 3 >= len(words) * 2
