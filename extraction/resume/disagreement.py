"""Where two readings of one CV disagree: the fields a person should check.

When the model answers, the local extractor reads the same text too, and
`compare(answer, second)` says which fields of `answer` the second reading
saw otherwise (issue 15, point 3). The result is keyed like an extractor's
per-field confidence and every value is `DISAGREE`:

- `"basics.email"`, `"work[0].name"`, `"education[1].startDate"`: both
  readings have the entry, and this field differs (one of them has no value
  counts as different);
- `"work[2]"`: the answer's entry that the second reading did not find;
- `"work"`: the second reading found an entry the answer does not have.

Nothing is changed: the flags only say where to look. Texts are compared
normalised (case, accents, punctuation, company-form words like "Ltd", a
place after an employer's name), dates
at the precision both give (2019 and 2019-03 agree), phones by their digits
(a trunk 0 or a country code aside). Entries are paired by what identifies
them (employer or school, title, dates), not by their place in the list, so
the same entries in another order raise no flag.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from difflib import SequenceMatcher

DISAGREE = "disagree"

# Words that name a company's legal form, not the company.
_LEGAL_FORMS = frozenset(
    [
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "llc",
        "llp",
        "plc",
        "gmbh",
        "ag",
        "kg",
        "ug",
        "sa",
        "sas",
        "sarl",
        "sl",
        "srl",
        "spa",
        "bv",
        "nv",
        "ab",
        "as",
        "oy",
        "co",
        "corp",
        "corporation",
        "company",
        "pty",
    ]
)
_NON_WORD = re.compile(r"[^0-9a-z]+")
# Texts at least this alike (difflib ratio of their normalised forms) agree:
# a letter dropped or doubled by a reader is not a different employer.
TEXT_RATIO = 0.88


def _words(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ")
    return [w for w in _NON_WORD.split(text) if w]


def _org_words(value: object) -> list[str]:
    words = _words(value)
    kept = [w for w in words if w not in _LEGAL_FORMS and w != "the"]
    return kept or words


def _same_words(a: list[str], b: list[str]) -> bool:
    if not a or not b:
        return a == b
    if a == b or sorted(a) == sorted(b):
        return True
    return SequenceMatcher(None, " ".join(a), " ".join(b)).ratio() >= TEXT_RATIO


def same_text(a: object, b: object) -> bool:
    return _same_words(_words(a), _words(b))


def same_org(a: object, b: object) -> bool:
    """Also the same when one name starts with the other's words: a reader that
    keeps the place beside the employer ("Northwind Traders, Bristol") has
    not found another employer."""
    x, y = _org_words(a), _org_words(b)
    if x and y:
        short, long = sorted((x, y), key=len)
        if long[: len(short)] == short:
            return True
    return _same_words(x, y)


def same_email(a: object, b: object) -> bool:
    return _str(a).casefold() == _str(b).casefold()


def same_phone(a: object, b: object) -> bool:
    x, y = re.sub(r"\D", "", _str(a)).lstrip("0"), re.sub(r"\D", "", _str(b)).lstrip("0")
    if not x or not y:
        return x == y
    short, long = sorted((x, y), key=len)
    # +44 20 7946 0958 and 020 7946 0958 are one number; 7 digits at least.
    return long.endswith(short) and (len(short) >= 7 or short == long)


def same_date(a: object, b: object) -> bool:
    x, y = _str(a), _str(b)
    if not x or not y:
        return x == y
    short, long = sorted((x, y), key=len)
    return long.startswith(short)


def _str(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


Same = Callable[[object, object], bool]

BASICS: dict[str, Same] = {"name": same_text, "email": same_email, "phone": same_phone}

# Per section: the fields compared, how, and how much each says that two
# entries are the same one (to pair them). The first field names the entry.
SECTIONS: dict[str, tuple[tuple[str, Same, float], ...]] = {
    "work": (
        ("name", same_org, 2.0),
        ("position", same_text, 1.0),
        ("startDate", same_date, 1.5),
        ("endDate", same_date, 1.0),
    ),
    "education": (
        ("institution", same_org, 2.0),
        ("studyType", same_text, 0.5),
        ("area", same_text, 1.0),
        ("startDate", same_date, 1.5),
        ("endDate", same_date, 1.0),
    ),
}
# Two entries are one when what agrees between them weighs at least this much
# (the employer alone, or a start date with a title or an end date).
PAIR_SCORE = 2.0
# Where the answer may keep, under another section, an entry the local reader
# files under this one (volunteering read as a job): its key for the name.
ALSO_IN = {"work": (("volunteer", "organization"),)}


def compare(answer: Mapping | None, second: Mapping | None) -> dict[str, str]:
    """The keys of `answer` where `second` (another reading of the same CV) differs."""
    answer, second = answer or {}, second or {}
    out: dict[str, str] = {}
    a_basics, b_basics = _dict(answer.get("basics")), _dict(second.get("basics"))
    for key, same in BASICS.items():
        if not same(a_basics.get(key), b_basics.get(key)):
            out[f"basics.{key}"] = DISAGREE
    for section, fields in SECTIONS.items():
        ours, theirs = _entries(answer.get(section)), _entries(second.get(section))
        pairs = pair_entries(ours, theirs, fields)
        for i, j in pairs.items():
            for key, same, _weight in fields:
                if not same(ours[i].get(key), theirs[j].get(key)):
                    out[f"{section}[{i}].{key}"] = DISAGREE
        for i in range(len(ours)):
            if i not in pairs:
                out[f"{section}[{i}]"] = DISAGREE
        paired = set(pairs.values())
        missing = [theirs[j] for j in range(len(theirs)) if j not in paired]
        if any(not _kept_elsewhere(answer, section, e, fields) for e in missing):
            out[section] = DISAGREE
    return out


def pair_entries(
    ours: list[dict], theirs: list[dict], fields: tuple[tuple[str, Same, float], ...]
) -> dict[int, int]:
    """Pair each entry of `ours` with at most one of `theirs`, best matches first
    (ties: the nearer place in the list). Returns {our index: their index}."""
    scored = []
    for i, a in enumerate(ours):
        for j, b in enumerate(theirs):
            score = _score(a, b, fields)
            if score >= PAIR_SCORE:
                scored.append((-score, abs(i - j), i, j))
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for _s, _d, i, j in sorted(scored):
        if i not in pairs and j not in taken:
            pairs[i] = j
            taken.add(j)
    return pairs


def _score(a: Mapping, b: Mapping, fields: tuple[tuple[str, Same, float], ...]) -> float:
    score = 0.0
    for key, same, weight in fields:
        x, y = a.get(key), b.get(key)
        if x and y and same(x, y):
            score += weight
    return score


def _kept_elsewhere(answer: Mapping, section: str, entry: Mapping, fields) -> bool:
    name_key = fields[0][0]
    for other, other_key in ALSO_IN.get(section, ()):
        for e in _entries(answer.get(other)):
            if same_org(e.get(other_key), entry.get(name_key)) and e.get(other_key):
                return True
    return False


def _dict(value: object) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _entries(value: object) -> list[dict]:
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []
