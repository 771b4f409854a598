"""`normalise(doc)`: anything in, a document of the JSON Resume schema out, with
warnings for what was dropped or fixed. It never raises."""

from __future__ import annotations

import re

from .dates import is_present_word, parse_date
from .language import stored_language
from .limits import LIST_MAX
from .schema import (
    BASICS,
    DATE,
    EMAIL,
    LEGACY,
    LEGACY_SECTIONS,
    LOCATION,
    LONG,
    LONGS,
    PROFILE,
    SECTIONS,
    STRING_ITEM_KEY,
    TEXT,
    URL,
)
from .text import clean_text
from .urls import clean_email, clean_url


class _Normaliser:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def value(self, kind: str, value: object, where: str) -> object:
        if kind == TEXT:
            out = clean_text(value)
        elif kind == LONG:
            out = clean_text(value, long=True)
        elif kind == EMAIL:
            out = clean_email(value)
            if out is None and value not in (None, ""):
                self.warn(f"{where}: not an email address; dropped.")
            return out
        elif kind == DATE:
            return self.date(value, where)
        elif kind == URL:
            url, problem = clean_url(value)
            if problem:
                self.warn(f"{where}: {problem}; link dropped.")
            return url
        else:  # TEXTS / LONGS
            return self.strings(value, long=kind == LONGS, where=where)
        if out is None and not isinstance(value, str | int | float | type(None)):
            self.warn(f"{where}: expected text; dropped.")
        return out

    def date(self, value: object, where: str) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, str) and is_present_word(value):
            return None
        out = parse_date(value)
        if out is None:
            self.warn(f"{where}: {str(value)[:40]!r} is not a date; dropped.")
        return out

    def strings(self, value: object, *, long: bool, where: str) -> list[str] | None:
        if isinstance(value, str):
            parts = value.split("\n") if long else re.split(r"[,;\n]", value)
        elif isinstance(value, list | tuple):
            parts = list(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            parts = [value]
        else:
            if value is not None:
                self.warn(f"{where}: expected a list; dropped.")
            return None
        out = []
        for part in parts[:LIST_MAX]:
            if isinstance(part, dict):  # object-valued keywords: {"name": "..."}
                part = part.get("name") or part.get("keyword") or part.get("title")
            text = clean_text(part, long=long)
            if text:
                out.append(text)
        return out or None

    def obj(self, item: object, spec: dict[str, str], legacy: dict[str, str], where: str) -> dict:
        if not isinstance(item, dict):
            return {}
        out: dict = {}
        for key, value in item.items():
            if not isinstance(key, str):
                continue
            target = legacy.get(key, key)
            if target not in spec or (target != key and target in item):
                continue  # unknown, or a legacy key whose v1 twin is present
            v = self.value(spec[target], value, f"{where}.{target}")
            if v not in (None, "", [], {}):
                out[target] = v
        return out

    def basics(self, value: object) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.warn("basics: expected an object; dropped.")
            return {}
        out = self.obj(value, BASICS, LEGACY["basics"], "basics")
        loc = value.get("location")
        if isinstance(loc, str):
            loc = {"address": loc}
        if isinstance(loc, dict):
            location = self.obj(loc, LOCATION, {"state": "region"}, "basics.location")
            cc = location.get("countryCode")
            if cc and len(cc) <= 3 and cc.isalpha():
                location["countryCode"] = cc.upper()
            if location:
                out["location"] = location
        profiles = value.get("profiles")
        if isinstance(profiles, dict):  # v0: {"github": "user", ...}
            profiles = [
                {"network": k, "username": v} if isinstance(v, str) else v
                for k, v in profiles.items()
            ]
        if isinstance(profiles, list):
            items = []
            for i, p in enumerate(profiles[:LIST_MAX]):
                if isinstance(p, str):
                    p = {"url": p}
                prof = self.obj(p, PROFILE, {}, f"basics.profiles[{i}]")
                if prof:
                    items.append(prof)
            if items:
                out["profiles"] = items
        elif profiles is not None:
            self.warn("basics.profiles: expected a list; dropped.")
        return out

    def section(self, name: str, value: object) -> list[dict]:
        if isinstance(value, dict) or (isinstance(value, str) and name in STRING_ITEM_KEY):
            value = [value]
        if not isinstance(value, list):
            if value is not None:
                self.warn(f"{name}: expected a list; dropped.")
            return []
        if len(value) > LIST_MAX:
            self.warn(f"{name}: only the first {LIST_MAX} entries were kept.")
        spec, legacy = SECTIONS[name], LEGACY.get(name, {})
        out = []
        for i, item in enumerate(value[:LIST_MAX]):
            if isinstance(item, str | int | float) and not isinstance(item, bool):
                key = STRING_ITEM_KEY.get(name)
                item = {key: item} if key else None
            if not isinstance(item, dict):
                self.warn(f"{name}[{i}]: not an entry; dropped.")
                continue
            entry = self.obj(item, spec, legacy, f"{name}[{i}]")
            if entry:
                out.append(entry)
        return out

    def run(self, doc: object) -> dict:
        if not isinstance(doc, dict):
            self.warn("The document is not a JSON Resume object; started from an empty one.")
            return {}
        out: dict = {}
        basics = self.basics(doc.get("basics"))
        if basics:
            out["basics"] = basics
        for key, value in doc.items():
            name = LEGACY_SECTIONS.get(key, key)
            if name == "basics":
                continue
            if name not in SECTIONS:
                if key not in ("$schema", "meta"):
                    self.warn(f"Unknown section {str(key)[:40]!r} dropped.")
                continue
            if name in out:
                continue
            items = self.section(name, doc.get(name, value))
            if items:
                out[name] = items
        # The site's language (language.py): kept when it names one the site speaks.
        if lang := stored_language(doc):
            out["meta"] = {**(out.get("meta") or {}), "language": lang}
        return out


def normalise(doc: object) -> tuple[dict, list[str]]:
    """Return a cleaned copy of `doc` and warnings for what was dropped or fixed."""
    n = _Normaliser()
    try:
        out = n.run(doc)
    except RecursionError:  # absurdly nested input
        n.warn("The document is nested too deeply; started from an empty one.")
        out = {}
    return out, n.warnings
