"""What the line model sees of a line: its words, its shape, the rules'
opinion of it, and the same of its neighbours.

Features are strings (a name, or a name with a value) with weight 1, so that
the model file stores one row of weights per feature name, readable and
checkable. Words are kept as words; the trainer keeps only words seen in the
documents of several different people, so no person's, employer's or school's
own name becomes a feature.
"""

from __future__ import annotations

import re
import unicodedata

from ..local_rules import contacts, places
from ..local_rules.dates import find_range
from ..local_rules.headings import heading
from ..local_rules.scores import company_score, degree_score, institution_score, title_score

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_BULLET = re.compile(r"^\s*[-•*·▪◦‣●○■□➤►–—]\s+")


def _bucket(n: int, edges: tuple[int, ...]) -> str:
    for e in edges:
        if n <= e:
            return str(e)
    return f">{edges[-1]}"


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(unicodedata.normalize("NFKC", text))][:24]


def word_scores(t: str) -> dict[str, int]:
    """The rules' word detectors that fire on `t`: title, company, institution
    and degree words, each with how many it found."""
    scores = {
        "title": title_score(t),
        "company": company_score(t),
        "inst": institution_score(t),
        "degree": degree_score(t),
    }
    return {name: n for name, n in scores.items() if n}


def shape(text: str) -> dict[str, float]:
    """The line on its own: shape and the rules' detectors."""
    t = text.strip()
    ws = t.split()
    letters = [c for c in t if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper())
    f: dict[str, float] = {
        "nw=" + _bucket(len(ws), (0, 1, 2, 3, 4, 6, 8, 12, 20)): 1.0,
        "nc=" + _bucket(len(t), (3, 10, 20, 35, 60, 90, 140)): 1.0,
    }
    if letters:
        if upper == len(letters) and len(letters) > 1:
            f["allcaps"] = 1.0
        elif ws and all(w[:1].isupper() for w in ws if w[:1].isalpha()):
            f["titlecase"] = 1.0
        elif t[:1].islower():
            f["lowerstart"] = 1.0
    if any(c.isdigit() for c in t):
        f["digit"] = 1.0
    if _BULLET.match(text):
        f["bullet"] = 1.0
    if t.endswith(":"):
        f["colon_end"] = 1.0
    if t.endswith("."):
        f["dot_end"] = 1.0
    if "," in t:
        f["comma"] = 1.0
    if re.search(r"\s[|·•]\s", t):
        f["pipe"] = 1.0
    if re.search(r"\s[-–—]\s", t):
        f["dash_sep"] = 1.0
    if re.search(r"(?i)\s(?:at|@|bei|chez|en|em|presso|bij)\s", t):
        f["at_word"] = 1.0
    if contacts.EMAIL_RE.search(t):
        f["email"] = 1.0
    if contacts.URL_RE.search(t):
        f["url"] = 1.0
    if contacts.PHONE_RE.search(t) and sum(c.isdigit() for c in t) >= 7:
        f["phone"] = 1.0
    r = find_range(t)
    if r is not None:
        f["date"] = 1.0
        if r.has_range:
            f["range"] = 1.0
        rest = t[: r.span[0]] + t[r.span[1] :]
        if len(rest.strip(" ,|·-–—()")) <= 2:
            f["date_only"] = 1.0
    h = heading(t)
    if h:
        f["rule_head=" + h[0]] = 1.0
        if not h[1]:
            f["rule_head_whole"] = 1.0
    for name, score in word_scores(t).items():
        f[f"{name}_words"] = 1.0
        f[f"{name}_words>1"] = 1.0 if score > 1 else 0.0
    if contacts.looks_like_name(t):
        f["namelike"] = 1.0
    if places.parse_location(t):
        f["location"] = 1.0
    return {k: v for k, v in f.items() if v}


_CONTEXT_KEEP = (
    "nw=",
    "allcaps",
    "titlecase",
    "bullet",
    "date",
    "range",
    "date_only",
    "rule_head",
    "email",
    "url",
    "phone",
    "title_words",
    "company_words",
    "inst_words",
    "degree_words",
    "location",
    "colon_end",
    "dot_end",
    "empty",
)


def _context(f: dict[str, float], prefix: str) -> dict[str, float]:
    return {prefix + k: v for k, v in f.items() if k.startswith(_CONTEXT_KEEP)}


def line_features(
    lines: list[str], cells: list[tuple[str, ...]] | None = None
) -> list[dict[str, float]]:
    """One feature dict per line of `lines` (as `prepare_layout` gives them)."""
    shapes = [shape(t) for t in lines]
    n = len(lines)
    out = []
    last_range = -99
    ranges_before = [0] * n
    for i in range(n):
        ranges_before[i] = i - last_range
        if "range" in shapes[i]:
            last_range = i
    next_range = 99
    ranges_after = [0] * n
    for i in range(n - 1, -1, -1):
        ranges_after[i] = next_range - i
        if "range" in shapes[i]:
            next_range = i
    section = "none"
    for i, text in enumerate(lines):
        f = dict(shapes[i])
        f["bias"] = 1.0
        f["pos=" + _bucket(i, (0, 1, 2, 3, 5, 8, 12, 20, 40))] = 1.0
        f["rel=" + str(min(9, int(10 * i / max(1, n))))] = 1.0
        ws = words(text)
        for w in set(ws):
            f["w=" + w] = 1.0
        if ws:
            f["w0=" + ws[0]] = 1.0
            f["wl=" + ws[-1]] = 1.0
        if len(ws) <= 4:
            f["sq=" + "".join(ws)] = 1.0
        if cells and i < len(cells) and len(cells[i]) > 1:
            f["cells"] = 1.0
        f["since_range=" + _bucket(ranges_before[i], (0, 1, 2, 3, 5))] = 1.0
        f["until_range=" + _bucket(ranges_after[i], (1, 2, 3, 5))] = 1.0
        for k in shapes[i]:
            if k.startswith("rule_head=") and "rule_head_whole" in shapes[i]:
                section = k.split("=", 1)[1]
        f["sect=" + section] = 1.0
        for d, prefix in ((-2, "p2:"), (-1, "p1:"), (1, "n1:"), (2, "n2:")):
            j = i + d
            if 0 <= j < n:
                f.update(_context(shapes[j], prefix))
                if d in (-1, 1):
                    for w in set(words(lines[j])[:6]):
                        f[prefix + "w=" + w] = 1.0
            else:
                f[prefix + "edge"] = 1.0
        out.append(f)
    return out


def phrase_features(text: str) -> dict[str, float]:
    """A short phrase on its own (a part of an entry's header): its words,
    their beginnings and endings, its shape and the rules' word detectors."""
    t = text.strip()
    ws = words(t)
    f: dict[str, float] = {"bias": 1.0, "nw=" + _bucket(len(ws), (0, 1, 2, 3, 4, 6, 9)): 1.0}
    for w in set(ws):
        f["w=" + w] = 1.0
        if len(w) >= 4:
            f["pre=" + w[:4]] = 1.0
            f["suf=" + w[-3:]] = 1.0
    if ws:
        f["w0=" + ws[0]] = 1.0
        f["wl=" + ws[-1]] = 1.0
    letters = [c for c in t if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 1:
        f["allcaps"] = 1.0
    if re.search(r"\b\w\.\w", t):
        f["abbrev_dots"] = 1.0
    if any(c.isdigit() for c in t):
        f["digit"] = 1.0
    if "&" in t:
        f["amp"] = 1.0
    if "(" in t:
        f["paren"] = 1.0
    if "," in t:
        f["comma"] = 1.0
    if re.search(r"\.(?:com|io|ai|net|org|de|co)\b", t.casefold()):
        f["domain"] = 1.0
    for name in word_scores(t):
        f[f"{name}_words"] = 1.0
    if places.parse_location(t):
        f["location"] = 1.0
    return f
