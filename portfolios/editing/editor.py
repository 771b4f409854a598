"""The editor: the basics form and one formset per section, filled from a
document, and the edited document back (`Editor.to_resume`)."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterable, Mapping

from extraction.resume import LIST_MAX

from .forms import FORMSETS, SECTION_KEYS, SECTIONS, BasicsForm
from .language import SiteLanguageForm
from .notes import field_notes, notes_by_field


class Section:
    def __init__(self, key, heading, add_label, formset, notes):
        self.key, self.heading, self.add_label = key, heading, add_label
        self.formset, self.notes = formset, notes


class Editor:
    """The basics form and one formset per section, for `doc`."""

    def __init__(
        self,
        doc: Mapping | None,
        data: Mapping | None = None,
        warnings: Iterable[str] = (),
        confidence: Mapping | None = None,
    ) -> None:
        self.doc = copy.deepcopy(dict(doc or {}))
        self.warnings = [str(w) for w in warnings or ()]
        notes = field_notes(self.doc, self.warnings)
        per_field = notes_by_field(self.warnings, confidence)
        basics = self.doc.get("basics") or {}
        self.adding = None
        if data is not None:
            add = data.get("add")
            if add in SECTION_KEYS:
                data = data.copy()
                total = f"{add}-TOTAL_FORMS"
                with contextlib.suppress(TypeError, ValueError):
                    data[total] = str(min(int(data.get(total, 0)) + 1, LIST_MAX))
                self.adding = add
        self.basics = BasicsForm(data, prefix="basics", initial=BasicsForm.initial_from(basics))
        self.basics_notes = notes["basics"]
        _attach(self.basics, per_field, "basics", None)
        self.language = SiteLanguageForm(
            data, prefix="site", initial=SiteLanguageForm.initial_from(self.doc)
        )
        _attach(self.language, {}, "site", None)
        self.sections = []
        for key, heading, form, add_label in SECTIONS:
            items = self._items(key)
            initial = [form.initial_from(item, i) for i, item in enumerate(items)]
            formset = FORMSETS[key](data, prefix=key, initial=initial)
            for position, entry in enumerate(formset.forms):
                # Bound forms carry the entry's original index in `src`.
                src = (
                    entry.initial.get("src", position)
                    if not entry.is_bound
                    else (_int_or_none(entry.data.get(entry.add_prefix("src"))))
                )
                _attach(entry, per_field, key, src)
            self.sections.append(Section(key, heading, add_label, formset, notes[key]))

    def _items(self, key: str) -> list:
        if key == "profiles":
            items = (self.doc.get("basics") or {}).get("profiles")
        else:
            items = self.doc.get(key)
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def is_valid(self) -> bool:
        ok = self.basics.is_valid()
        ok = self.language.is_valid() and ok
        for s in self.sections:
            ok = s.formset.is_valid() and ok
        return ok

    def to_resume(self) -> dict:
        """The edited document (call after is_valid())."""
        doc = copy.deepcopy(self.doc)
        basics = dict(doc.get("basics") or {})
        data = self.basics.cleaned_data
        for key in BasicsForm.FIELDS:
            _put(basics, key, data.get(key))
        location = dict(basics.get("location") or {})
        for key in BasicsForm.LOCATION:
            _put(location, key, data.get(key))
        _put(basics, "location", location)
        for s in self.sections:
            target = basics if s.key == "profiles" else doc
            _put(target, s.key, self._entries(s))
        _put(doc, "basics", basics)
        self.language.apply(doc)
        return doc

    def _entries(self, section: Section) -> list[dict]:
        base = self._items(section.key)
        out = []
        for form in section.formset.ordered_forms:
            data = form.cleaned_data
            src = data.get("src")
            entry = copy.deepcopy(base[src]) if src is not None and src < len(base) else {}
            for key in form.FIELDS:
                _put(entry, key, data.get(key))
            if entry:
                out.append(entry)
        return out


def _attach(form, notes: Mapping, section: str, index: int | None) -> None:
    """Give each field of `form` its notes (read by _edit_field.html), and the
    form the notes about its entry as a whole (read by _edit_section.html)."""
    for name, field in form.fields.items():
        field.notes = notes.get((section, index, name), [])
    form.entry_notes = notes.get((section, index, None), []) if index is not None else []


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _put(target: dict, key: str, value) -> None:
    if value in (None, "", [], {}):
        target.pop(key, None)
    else:
        target[key] = value
