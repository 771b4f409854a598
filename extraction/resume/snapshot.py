"""Snapshot limits (SPEC E-6): a document cut to SNAPSHOT_MAX_BYTES, most recent
entries first, with notes saying what was cut."""

from __future__ import annotations

import copy
import json

from django.conf import settings

from .schema import DATE_KEYS, SECTIONS

# Free-text fields dropped, in this order, when a snapshot is still too large
# after cutting arrays; what remains are the essential fields (names, titles,
# dates, links).
FREE_TEXT_FIELDS = (
    "highlights",
    "description",
    "summary",
    "courses",
    "reference",
    "keywords",
    "roles",
)
NESTED_LISTS = ("highlights", "keywords", "courses", "roles", "profiles")
SECTION_WORDS = {
    "work": "work entries",
    "volunteer": "volunteer entries",
    "education": "education entries",
    "awards": "awards",
    "certificates": "certificates",
    "publications": "publications",
    "skills": "skills",
    "languages": "languages",
    "interests": "interests",
    "references": "references",
    "projects": "projects",
}


def _size(doc: dict) -> int:
    return len(json.dumps(doc, ensure_ascii=False).encode())


def _most_recent(items: list, n: int) -> list:
    """The n most recent items (by start date or date), kept in their order."""

    def key(i: int) -> str:
        item = items[i]
        if isinstance(item, dict):
            for k in DATE_KEYS:
                if isinstance(item.get(k), str):
                    return item[k]
        return ""

    dated = [i for i in range(len(items)) if key(i)]
    if not dated:
        return items[:n]
    order = sorted(range(len(items)), key=lambda i: (key(i), -i), reverse=True)
    keep = set(order[:n])
    return [item for i, item in enumerate(items) if i in keep]


def apply_snapshot_limits(doc: dict) -> tuple[dict, list[str]]:
    """Cut `doc` to SNAPSHOT_MAX_BYTES as SPEC E-6 says; notes say what was cut."""
    max_bytes = settings.SNAPSHOT_MAX_BYTES
    warn_bytes = settings.SNAPSHOT_WARN_BYTES
    max_items = max(1, settings.SNAPSHOT_MAX_ITEMS)
    if _size(doc) <= warn_bytes and _size(doc) <= max_bytes:
        return doc, []
    doc = copy.deepcopy(doc)
    notes: list[str] = []

    # 1. Every array to the max_items most recent items.
    for name in SECTIONS:
        items = doc.get(name)
        if isinstance(items, list) and len(items) > max_items:
            doc[name] = _most_recent(items, max_items)
            notes.append(
                f"Your CV had {len(items)} {SECTION_WORDS[name]}; "
                f"we kept the {max_items} most recent."
            )
    nested_cut = False
    for entries in _entry_lists(doc):
        for entry in entries:
            for key in NESTED_LISTS:
                if isinstance(entry.get(key), list) and len(entry[key]) > max_items:
                    entry[key] = entry[key][:max_items]
                    nested_cut = True
    if nested_cut:
        notes.append(f"Some lists (highlights, keywords, profiles) were cut to {max_items} items.")
    if _size(doc) <= max_bytes:
        return doc, notes

    # 2. Drop long free text, one kind of field at a time, until it fits.
    dropped = []
    for key in FREE_TEXT_FIELDS:
        found = False
        for entries in _entry_lists(doc, with_basics=key == "summary"):
            for entry in entries:
                if entry.pop(key, None) is not None:
                    found = True
        if found:
            dropped.append(key)
            if _size(doc) <= max_bytes:
                break
    if dropped:
        notes.append(
            "Your CV was too large to keep in full; we left out these texts to fit: "
            + ", ".join(dropped)
            + "."
        )
    if _size(doc) <= max_bytes:
        return doc, notes

    # 3. Last resort: shorten every text, then halve the lists until it fits.
    _shorten(doc, 120)
    while _size(doc) > max_bytes:
        longest = max(
            (name for name in SECTIONS if doc.get(name)),
            key=lambda name: len(doc[name]),
            default=None,
        )
        if longest is None or len(doc[longest]) <= 1:
            doc = {"basics": {k: v for k, v in doc.get("basics", {}).items() if k == "name"}}
            break
        doc[longest] = _most_recent(doc[longest], len(doc[longest]) // 2)
    notes.append("Some long texts were shortened and older entries left out to fit the size limit.")
    return doc, notes


def _entry_lists(doc: dict, with_basics: bool = True):
    for name in SECTIONS:
        if isinstance(doc.get(name), list):
            yield [e for e in doc[name] if isinstance(e, dict)]
    if with_basics and isinstance(doc.get("basics"), dict):
        yield [doc["basics"]]


def _shorten(value, cap: int):
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str) and len(v) > cap and not k.endswith(("url", "Date", "date")):
                value[k] = v[:cap]
            else:
                _shorten(v, cap)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, str) and len(v) > cap:
                value[i] = v[:cap]
            else:
                _shorten(v, cap)
