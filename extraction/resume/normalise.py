"""`normalise(doc)`: anything in, a document of the JSON Resume schema out, with
warnings for what was dropped or fixed. It never raises.

With `keep_unknown=True` (a document the person brought or edited: their data)
the keys the schema does not name are kept as they were sent: `$schema`,
`meta`, extension fields such as `basics.x-pronouns`, sections of other tools,
and a v0 key whose v1 twin is present too. Their text only loses control
characters (PostgreSQL cannot store NUL) and is capped like long text; lists
keep their first LIST_MAX items; nesting past EXTRA_MAX_DEPTH is dropped with a
warning. Without it (an extractor's answer) unknown keys are dropped.
"""

from __future__ import annotations

import re

from .dates import is_present_word, parse_date
from .language import stored_language
from .limits import LIST_MAX, LONG_TEXT_MAX
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
from .text import _CONTROL, clean_text
from .urls import clean_email, clean_url

# How deep a kept unknown value may nest below its key.
EXTRA_MAX_DEPTH = 8


class _Normaliser:
    def __init__(self, keep_unknown: bool = False) -> None:
        self.warnings: list[str] = []
        self.keep_unknown = keep_unknown

    def kept_value(self, value: object, where: str, depth: int = 0) -> object:
        """An unknown key's value, kept as sent but for control characters and caps."""
        if depth > EXTRA_MAX_DEPTH:
            self.warn(f"{where}: nested too deeply; dropped.")
            return None
        if isinstance(value, str):
            return _CONTROL.sub("", value[:LONG_TEXT_MAX].replace("\r\n", "\n"))
        if isinstance(value, list):
            if len(value) > LIST_MAX:
                self.warn(f"{where}: only the first {LIST_MAX} entries were kept.")
            return [
                self.kept_value(v, f"{where}[{i}]", depth + 1)
                for i, v in enumerate(value[:LIST_MAX])
            ]
        if isinstance(value, dict):
            return {
                _CONTROL.sub("", k)[:LONG_TEXT_MAX]: self.kept_value(v, f"{where}.{k}", depth + 1)
                for k, v in list(value.items())[: 4 * LIST_MAX]
                if isinstance(k, str)
            }
        return value  # numbers, true/false, null

    def keep(self, out: dict, key: str, value: object, where: str) -> None:
        if self.keep_unknown and key not in out:
            kept = self.kept_value(value, where)
            if kept is not None or value is None:
                out[key] = kept

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
                # unknown, or a legacy key whose v1 twin is present
                self.keep(out, key, value, f"{where}.{key}")
                continue
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
        out.pop("location", None)  # handled below, not as unknown keys
        out.pop("profiles", None)
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
                if self.keep_unknown:
                    self.keep(out, str(key), value, str(key)[:40])
                elif key not in ("$schema", "meta"):
                    self.warn(f"Unknown section {str(key)[:40]!r} dropped.")
                continue
            if key != name and name in doc:  # a v0 section beside its v1 twin
                self.keep(out, key, value, key)
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


def normalise(doc: object, *, keep_unknown: bool = False) -> tuple[dict, list[str]]:
    """Return a cleaned copy of `doc` and warnings for what was dropped or fixed;
    with `keep_unknown`, keys the schema does not name are kept (see above)."""
    n = _Normaliser(keep_unknown)
    try:
        out = n.run(doc)
    except RecursionError:  # absurdly nested input
        n.warn("The document is nested too deeply; started from an empty one.")
        out = {}
    return out, n.warnings
