"""Notes beside the form: the extraction's warnings, the extractor's
low-confidence fields and the fields a second reading disagreed on
("disagree": the model and the local extractor read them differently), tied
to the section, the entry and the field they are about."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from extraction.resume.disagreement import SECTIONS as PAIRED_SECTIONS
from extraction.resume.disagreement import pair_entries

# Words that tie a free-form warning to a section (casefolded substrings).
KEYWORDS = {
    "basics": ("basics", "your name", "email", "phone", "summary", "location", "contact"),
    "profiles": ("profile", "linkedin", "github"),
    "work": ("work", "job", "experience", "employ", "position"),
    "education": ("education", "school", "degree", "universit", "institution", "study"),
    "projects": ("project",),
    "skills": ("skill",),
    "languages": ("language",),
    "certificates": ("certificat",),
    "volunteer": ("volunteer",),
    "awards": ("award",),
    "publications": ("publication",),
    "interests": ("interest",),
    "references": ("reference", "referee"),
}
_LEADING_PATH = re.compile(r"([A-Za-z]+)(?:\[\d+\])?(?:\.([A-Za-z]+))?")


def section_of(warning: str) -> list[str]:
    """The sections a warning is about: its leading path ("work[2].startDate: …",
    "basics.profiles[0].url: …") when it has one, else keyword matches."""
    m = _LEADING_PATH.match(warning)
    if m and (m.group(1) in KEYWORDS):
        if m.group(1) == "basics" and m.group(2) == "profiles":
            return ["profiles"]
        return [m.group(1)]
    text = warning.casefold()
    return [key for key, words in KEYWORDS.items() if any(w in text for w in words)]


def notes_by_section(warnings: Iterable[str]) -> dict[str, list[str]]:
    notes: dict[str, list[str]] = {key: [] for key in KEYWORDS}
    for w in warnings or ():
        for key in section_of(str(w)):
            notes[key].append(str(w))
    return notes


_SECTION_WORDS = {
    "work": "Work",
    "education": "Education",
    "projects": "Project",
    "skills": "Skills",
    "languages": "Languages",
    "certificates": "Certificate",
}
_FIELD_WORDS = {
    "name": "name",
    "position": "position",
    "startDate": "start date",
    "endDate": "end date",
    "institution": "institution",
    "area": "field of study",
    "studyType": "degree",
    "email": "email",
    "phone": "phone",
    "url": "website",
    "label": "title",
    "city": "location",
    "summary": "summary",
    "keywords": "keywords",
}
_BASICS_WORDS = {
    "basics.name": "Your name",
    "basics.email": "Your email",
    "basics.phone": "Your phone",
    "basics.url": "Your website (contact)",
    "basics.label": "Your title (basics)",
    "basics.location.city": "Your location",
    "basics.summary": "Your summary",
    "basics.profiles": "Your profiles",
    "basics.urls": "Your profiles",
}
_KEY = re.compile(r"(?P<section>[A-Za-z]+)\[(?P<index>\d+)\]\.(?P<field>[A-Za-z]+)")


_ENTRY = re.compile(r"(?P<section>[A-Za-z]+)\[(?P<index>\d+)\]")
DISAGREE = "disagree"
SECOND_READING = "a second reading of your CV"


def confidence_notes(confidence: Mapping | None) -> list[str]:
    """One plain sentence per field the extractor was unsure of ("low") or
    that a second reading saw otherwise ("disagree"), naming its section so
    that it shows beside it."""
    notes = []
    for key, level in (confidence or {}).items():
        if level == DISAGREE:
            note = _disagree_note(key)
            if note:
                notes.append(note)
            continue
        if level != "low":
            continue
        if key in _BASICS_WORDS:
            notes.append(f"{_BASICS_WORDS[key]}: we were not sure we read it right.")
            continue
        m = _KEY.fullmatch(key)
        if m and m["section"] in _SECTION_WORDS:
            what = _FIELD_WORDS.get(m["field"], m["field"])
            notes.append(
                f"{_SECTION_WORDS[m['section']]} entry {int(m['index']) + 1}: "
                f"we were not sure about the {what}."
            )
        elif key in _SECTION_WORDS:
            notes.append(f"{_SECTION_WORDS[key]}: we were not sure we found them all.")
    return notes


def _disagree_note(key: str) -> str | None:
    if key in _BASICS_WORDS:
        return f"{_BASICS_WORDS[key]}: check this, {SECOND_READING} found something else."
    m = _KEY.fullmatch(key)
    if m and m["section"] in _SECTION_WORDS:
        what = "employer" if key.startswith("work[") and m["field"] == "name" else None
        what = what or _FIELD_WORDS.get(m["field"], m["field"])
        return (
            f"{_SECTION_WORDS[m['section']]} entry {int(m['index']) + 1}: check the {what}, "
            f"{SECOND_READING} found something else."
        )
    m = _ENTRY.fullmatch(key)
    if m and m["section"] in _SECTION_WORDS:
        return (
            f"{_SECTION_WORDS[m['section']]} entry {int(m['index']) + 1}: check this entry, "
            f"{SECOND_READING} did not find it."
        )
    if key in _SECTION_WORDS:
        return (
            f"{_SECTION_WORDS[key]}: check that nothing is missing, {SECOND_READING} "
            "found an entry that is not here."
        )
    return None


_PATH = re.compile(r"^(?P<section>[A-Za-z]+)(?:\[(?P<index>\d+)\])?\.(?P<path>[A-Za-z.]+)")
UNSURE = "We were not sure we read this right; please check it."
CHECK = "Check this: a second reading of your CV found something else here."
CHECK_ENTRY = "Check this entry: a second reading of your CV did not find it."


def notes_by_field(
    warnings: Iterable[str], confidence: Mapping | None = None
) -> dict[tuple[str, int | None, str | None], list[str]]:
    """Notes for single fields: warnings that start with a document path
    ("work[1].startDate: ...") and the fields the extractor was unsure of.
    Keys: (section, entry index or None for basics, form field name); notes
    about a whole entry ("work[2]": a second reading did not find it) have the
    field name None."""
    notes: dict[tuple[str, int | None, str | None], list[str]] = {}

    def add(path: str, note: str) -> None:
        m = _PATH.match(path)
        if not m:
            return
        section, index, field = m["section"], m["index"], m["path"].split(".")[-1]
        if section == "basics" and m["path"].startswith("profiles"):
            return  # a profile as a whole: the section note says it
        key = (section, int(index) if index is not None else None, field)
        notes.setdefault(key, []).append(note)

    for w in warnings or ():
        text = str(w)
        head, sep, rest = text.partition(":")
        if sep and _PATH.fullmatch(head.strip()):
            add(head.strip(), rest.strip() or text)
    for key, level in (confidence or {}).items():
        if level == "low":
            add(key, UNSURE)
        elif level == DISAGREE:
            entry = _ENTRY.fullmatch(key)
            if entry:
                notes.setdefault((entry["section"], int(entry["index"]), None), []).append(
                    CHECK_ENTRY
                )
            else:
                add(key, CHECK)
    return notes


_ANY_ENTRY_KEY = re.compile(r"(?P<section>[A-Za-z]+)\[(?P<index>\d+)\](?P<rest>(?:\.[A-Za-z.]+)?)")


def confidence_for(
    original: Mapping | None, shown: Mapping | None, confidence: Mapping | None
) -> dict[str, str]:
    """The extraction's per-field confidence, keyed on `original` (the job's
    result), moved onto `shown`: the document as the person last saved it.

    Entries are followed to where they went (paired by what they say, as the
    second reading pairs them), so a reordered list keeps each note on its
    entry; a field the person changed, and an entry they removed, lose their
    notes: they have looked at them. Notes on sections no pairing can follow
    are dropped once the document was edited."""
    confidence = dict(confidence or {})
    if not confidence or not isinstance(shown, Mapping) or shown == original:
        return confidence
    original = original if isinstance(original, Mapping) else {}
    moves = {
        section: pair_entries(_items(original, section), _items(shown, section), fields)
        for section, fields in PAIRED_SECTIONS.items()
    }
    out: dict[str, str] = {}
    for key, level in confidence.items():
        m = _ANY_ENTRY_KEY.fullmatch(key)
        if m is None:
            if key.startswith("basics.") and _at(original, key) != _at(shown, key):
                continue
            out[key] = level
            continue
        section, index, rest = m["section"], int(m["index"]), m["rest"]
        j = moves.get(section, {}).get(index)
        if j is None:
            continue
        field = rest.lstrip(".")
        if field and _at(_items(original, section)[index], field) != _at(
            _items(shown, section)[j], field
        ):
            continue
        out[f"{section}[{j}]{rest}"] = level
    return out


def _items(doc: Mapping, section: str) -> list:
    items = doc.get(section)
    return [e for e in items if isinstance(e, dict)] if isinstance(items, list) else []


def _at(doc: Mapping, path: str):
    value: object = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def field_notes(doc: Mapping, warnings: Iterable[str]) -> dict[str, list[str]]:
    """Notes to show per section (the extraction's warnings, and the local
    extractor's low-confidence fields through confidence_notes())."""
    return notes_by_section(warnings)
