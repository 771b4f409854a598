"""The local extractor: rules only, no network, no model (SPEC E-3).

Text in (as the readers produce it), JSON Resume out. The rules live in
`local_rules/` by idea (text clean-up, dates, headings, contacts, places, the
basics block, word lists and detectors, skills, languages) and, where they ask
the line model, in `local_sections/` (segmentation, entry headers, work,
education); this module puts them together:

1. clean the text into lines and mark the section each line falls in;
2. basics: name, label, email, phone, links and profiles, location, summary;
3. work and education entries, each anchored on a line with a date range,
   its title lines found on the same line or right around it;
4. skills and languages from their sections.

Every rule is general (words of headings, titles, degrees in several
languages; shapes of dates, phones and links); none names a person, company
or document.
"""

from __future__ import annotations

import re

from django.conf import settings

from extraction import resume

from . import Outcome, make_fingerprint
from .learned import context as learned
from .learned.model import LineModel, default_model
from .local_rules.basics import (
    _CONTACT_LABELS,
    city_of_current_place,
    find_name,
    name_text,
    read_basics,
)
from .local_rules.languages import languages
from .local_rules.scores import title_score
from .local_rules.skills import skills as skill_groups
from .local_rules.text import prepare_layout_gaps
from .local_sections.education import undated_education
from .local_sections.entries import drop_taglines, entries
from .local_sections.segment import segment
from .local_sections.work import undated_work

# Bump whenever a rule change can change the output (it is part of the cache key).
RULES_VERSION = "22"


_DEFAULT_MODEL = object()


class LocalExtractor:
    """Rules, helped by the committed line model where it is sure (`learned`);
    `model=None` runs the rules alone (as when the model file is refused)."""

    name = "local"

    def __init__(self, model: LineModel | None | object = _DEFAULT_MODEL) -> None:
        self.model: LineModel | None = default_model() if model is _DEFAULT_MODEL else model  # type: ignore[assignment]

    def fingerprint(self) -> str:
        # The model's identity is part of the key: a new model misses the cache.
        model = self.model.model_id if self.model is not None else "rules-only"
        return make_fingerprint("local", RULES_VERSION, resume.SCHEMA_VERSION, model)

    def extract(self, text: str, *, deadline: float) -> Outcome:
        with learned.using(self.model):
            raw = _extract_marked(text)
        marks = pop_confidence(raw)
        doc, warnings = resume.clean(raw)
        return Outcome(
            resume=doc,
            extractor=self.name,
            warnings=warnings,
            confidence=confidence(doc, raw, marks),
        )


# --------------------------------------------------------------------------- confidence
# Per-field confidence for the review page: "high" where a value matched a
# strict pattern (an email address, an international phone number, a link,
# "City, Country") or was found under its own heading by its own kind of
# words; "low" where it was placed by position only.
_STRICT_PHONE = re.compile(r"^\s*(?:\+|00|\(\+?\d)")


def pop_confidence(raw: dict) -> dict:
    """Take the rules' private marks (`_conf`, `_sure`, `_how`) out of `raw`."""
    marks: dict = {"basics": raw.get("basics", {}).pop("_how", {})}
    for section in ("work", "education"):
        marks[section] = [e.pop("_conf", {}) for e in raw.get(section, [])]
    marks["skills"] = [s.pop("_sure", False) for s in raw.get("skills", [])]
    return marks


def _entry_key(e: dict) -> tuple:
    return (e.get("name") or e.get("institution"), e.get("position") or e.get("area"))


def confidence(doc: dict, raw: dict, marks: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    basics = doc.get("basics") or {}
    how = marks.get("basics", {})
    if basics.get("name"):
        out["basics.name"] = how.get("name", "low")
    if basics.get("email"):
        out["basics.email"] = "high"
    if basics.get("phone"):
        out["basics.phone"] = "high" if _STRICT_PHONE.match(basics["phone"]) else "low"
    if basics.get("label"):
        out["basics.label"] = "low"
    if basics.get("url"):
        out["basics.url"] = "high" if re.match(r"(?i)https?://", how.get("url", "")) else "low"
    for n, prof in enumerate(basics.get("profiles") or []):
        out[f"basics.profiles[{n}]"] = (
            "high" if prof.get("url") in how.get("printed", ()) else "low"
        )
    if (basics.get("location") or {}).get("city"):
        out["basics.location.city"] = how.get("city", "low")
    if basics.get("summary"):
        out["basics.summary"] = "high"
    for section in ("work", "education"):
        raw_entries = raw.get(section, [])
        by_key = {
            _entry_key(e): m for e, m in zip(raw_entries, marks.get(section, []), strict=False)
        }
        for n, e in enumerate(doc.get(section) or []):
            m = by_key.get(_entry_key(e), {})
            for fld in ("name", "position", "institution", "area", "studyType"):
                if e.get(fld):
                    out[f"{section}[{n}].{fld}"] = m.get(fld, "low")
            for fld in ("startDate", "endDate"):
                if e.get(fld):
                    out[f"{section}[{n}].{fld}"] = m.get(fld, "low")
    if doc.get("skills"):
        sure = marks.get("skills") or []
        out["skills"] = "high" if sure and sum(sure) * 2 >= len(sure) else "low"
    return out


_PLACE_WORDS = re.compile(r"[^\W\d_][\w'’.-]*(?: [^\W\d_][\w'’.-]*){0,2}")
# "I live in Springfield, ...": a sentence of the summary that says where
_LIVES_IN = re.compile(
    r"(?i:\bI live in|\bI'?m based in|\bbased in|\bvivo en|\bresido en|\bje vis à|"
    r"\bj'habite à|\bich wohne in|\bmoro em|\bvivo em|\bvivo a)\s+"
    r"(?P<city>[A-ZÀ-Ý][\w'’.-]+(?: [A-ZÀ-Ý][\w'’.-]+){0,2})"
)
CITY_P = 0.6  # how sure the phrase model must be that a lone line is a place


def _city_under_name(segs, name_i: int | None, name_lines: int) -> str | None:
    """No address in the contact block: a lone place name on the line right
    under the name (or its label), where the phrase model is sure it is a
    place; else the city of a sentence saying where the person lives."""
    if name_i is not None:
        for k in (name_i + name_lines, name_i + name_lines + 1):
            if k >= len(segs) or segs[k].used or segs[k].range:
                continue
            t = segs[k].text.strip()
            if not _PLACE_WORDS.fullmatch(t) or not t[:1].isupper() or t.isupper():
                continue
            p = learned.phrase(t)
            if p is None:
                continue
            if p.get("location", 0) >= CITY_P:
                return t
            if k == name_i + name_lines and _no_title(t, p):
                return t  # right under the name, where a label would stand
    for s in segs:
        if s.section in (None, "summary", "contact"):
            m = _LIVES_IN.search(s.text)
            if m:
                return m.group("city")
    return None


_ADDRESS_END = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ADDRESS_TAIL = re.compile(r"[a-z]{1,3}")
# the generic top-level domains an address cut short most often ends in
_GENERIC_TLDS = frozenset({"com", "org", "net", "edu", "gov", "info", "io", "dev"})


def _join_wrapped_addresses(lines: list[str], runs: list, indented: list, gaps: list) -> None:
    """ "jane.roe@example.co" / "m": an e-mail address wrapped in a narrow
    column; a line of one to three small letters under a line that ends in an
    address is the address's end, where the two make a generic domain
    ("...@example.org" / "and" stays apart)."""
    k = 0
    while k + 1 < len(lines):
        if (
            _ADDRESS_TAIL.fullmatch(lines[k + 1])
            and "@" in lines[k]
            # the line's last word only: a search over a long line is quadratic
            and _ADDRESS_END.fullmatch(lines[k].rsplit(None, 1)[-1])
            and (lines[k] + lines[k + 1]).rsplit(".", 1)[-1] in _GENERIC_TLDS
        ):
            lines[k] += lines[k + 1]
            runs[k] = (*runs[k][:-1], runs[k][-1] + lines[k + 1]) if runs[k] else (lines[k],)
            for seq in (lines, runs, indented, gaps):
                del seq[k + 1]
        k += 1


def _no_title(text: str, p: dict) -> bool:
    """A name under the person's that reads as no job, degree, field or
    school ("Pune", "Macomb"): of a lone line there, the place they live in
    (a label says what someone does)."""
    if _CONTACT_LABELS.fullmatch(text.strip()):
        return False  # "Website", "Location": a contact's label
    return title_score(text) == 0 and all(
        p.get(k, 0.0) < NOT_TITLE_P for k in ("position", "studyType", "area", "institution")
    )


NOT_TITLE_P = 0.1


def extract_raw(text: str) -> dict:
    """The document before normalisation (resume.clean does that)."""
    raw = _extract_marked(text)
    pop_confidence(raw)
    return raw


def _extract_marked(text: str) -> dict:
    """`extract_raw` with the rules' private confidence marks still in."""
    limit = getattr(settings, "EXTRACTION_MAX_TEXT_CHARS", 100_000)
    lines, runs, indented, gaps = prepare_layout_gaps((text or "")[:limit])
    _join_wrapped_addresses(lines, runs, indented, gaps)
    probs = learned.line_probabilities(lines, runs)
    segs = segment(lines, runs, indented, probs, gaps)
    drop_taglines(segs)  # takes lines out: before any index into segs is kept
    name_i = find_name(segs)
    name = name_text(segs, name_i) if name_i is not None else None
    for k in range(name[1] if name else 0):
        segs[name_i + 1 + k].used = True  # the lines the name wrapped onto
    if name_i is not None:
        segs[name_i].used = True
        for s in segs:
            if s.text == segs[name_i].text:
                s.used = True
    work, education = entries(segs)
    work += undated_work(segs, work)
    education += undated_education(segs)
    doc: dict = {
        "basics": read_basics(segs, name_i, name[0] if name else None, 1 + (name[1] if name else 0))
    }
    if "location" not in doc["basics"]:
        city = _city_under_name(segs, name_i, 1 + (name[1] if name else 0))
        if city:
            doc["basics"]["location"] = {"city": city}
            if doc["basics"].get("label") == city:
                del doc["basics"]["label"]  # the line under the name was the place
            doc["basics"]["_how"]["city"] = "low"
    if "location" not in doc["basics"]:
        city = city_of_current_place(work + education)
        if city:
            doc["basics"]["location"] = {"city": city}
            doc["basics"]["_how"]["city"] = "low"
    if work:
        doc["work"] = work
    if education:
        doc["education"] = education
    skills = skill_groups(segs)
    if skills:
        doc["skills"] = skills
    langs = languages(segs)
    if langs:
        doc["languages"] = langs
    return doc
