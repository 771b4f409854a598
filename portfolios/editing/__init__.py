"""The review form (SPEC P-1): edit a JSON Resume document before or after publishing.

`Editor(doc)` builds a form for `basics` and a formset (add, delete, reorder)
for every list section the themes show, filled from `doc`. `Editor(doc,
data=request.POST)` binds it; `to_resume()` turns the cleaned data back into a
JSON Resume dict. Keys and sections the form does not cover are kept from
`doc`: every list entry carries a hidden `src`, its index in `doc`, so an
edited, moved or kept entry keeps its other keys (work.location, education.score…).

Warnings from the extraction are shown at the top and beside the section they
mention (`notes_by_section`). A per-field confidence from the extractor would
plug in at `field_notes()`.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Iterable, Mapping

from django import forms
from django.forms import formset_factory

from extraction.resume import LIST_MAX, LONG_TEXT_MAX, SHORT_TEXT_MAX, clean_url, parse_date

_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


# --- Fields -------------------------------------------------------------------------


class DateField(forms.CharField):
    """YYYY, YYYY-MM or YYYY-MM-DD, as in the document; empty is allowed."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"placeholder": "YYYY-MM", "inputmode": "numeric"})
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value and (not _DATE.fullmatch(value) or parse_date(value) != value):
            raise forms.ValidationError(
                "Write the date as YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2021-04.", code="date"
            )
        return value


class LinkField(forms.CharField):
    """A web address (http or https; a bare host gets https://) or a mailto: link."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 2000)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "url"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        url, problem = clean_url(value)
        if problem or not url:
            raise forms.ValidationError(
                "Use a web address starting with https:// or http://, or a mailto: link.",
                code="url",
            )
        return url


class LinesField(forms.CharField):
    """A list written one item per line."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def clean(self, value):
        value = super().clean(value) or ""
        items = [line.strip() for line in value.splitlines()]
        if any(len(i) > LONG_TEXT_MAX for i in items):
            raise forms.ValidationError("One of the lines is too long.", code="max_length")
        return [i for i in items if i][:LIST_MAX]


class CommaField(forms.CharField):
    """A list written comma-separated."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def clean(self, value):
        value = super().clean(value) or ""
        items = [part.strip() for part in value.split(",")]
        if any(len(i) > SHORT_TEXT_MAX for i in items):
            raise forms.ValidationError("One of the items is too long.", code="max_length")
        return [i for i in items if i][:LIST_MAX]


def _text(label: str, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=SHORT_TEXT_MAX, **kwargs)


def _long(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=LONG_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


# --- Forms --------------------------------------------------------------------------


class BasicsForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=SHORT_TEXT_MAX,
        error_messages={"required": "Your name is needed: the page is about you."},
    )
    label = _text("Title", help_text="A short line under your name, e.g. “Data engineer”.")
    email = forms.EmailField(label="Email", required=False, max_length=SHORT_TEXT_MAX)
    phone = _text("Phone")
    url = LinkField(label="Website")
    summary = _long("About you")
    city = _text("City")
    countryCode = _text("Country code", help_text="Two letters, e.g. DE, FR, US.")

    FIELDS = ("name", "label", "email", "phone", "url", "summary")
    LOCATION = ("city", "countryCode")

    @classmethod
    def initial_from(cls, basics: Mapping) -> dict:
        initial = {k: basics.get(k, "") for k in cls.FIELDS}
        location = basics.get("location") or {}
        initial.update({k: location.get(k, "") for k in cls.LOCATION})
        return initial

    def clean_countryCode(self):
        cc = self.cleaned_data["countryCode"]
        return cc.upper() if cc and len(cc) <= 3 and cc.isalpha() else cc


class EntryForm(forms.Form):
    """One entry of a list section. FIELDS are its JSON Resume keys (form
    fields of the same names); REQUIRED_ANY: at least one must be filled."""

    src = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    FIELDS: tuple[str, ...] = ()
    REQUIRED_ANY: tuple[str, ...] = ()
    REQUIRED_MESSAGE = "This cannot be empty."
    TITLE = "Entry"

    def clean(self):
        data = super().clean()
        missing = self.REQUIRED_ANY and not any(data.get(k) for k in self.REQUIRED_ANY)
        if missing and not any(k in self.errors for k in self.REQUIRED_ANY):
            self.add_error(self.REQUIRED_ANY[0], self.REQUIRED_MESSAGE)
        return data

    @classmethod
    def initial_from(cls, item: Mapping, index: int) -> dict:
        return {"src": index, **{k: item.get(k, "") for k in cls.FIELDS}}

    def heading(self) -> str:
        """The entry's own name, for its legend."""
        source = self.data if self.is_bound else self.initial
        for key in self.REQUIRED_ANY:
            value = source.get(self.add_prefix(key)) if self.is_bound else source.get(key)
            if value:
                return str(value)
        return f"New {self.TITLE.lower()}"


class ProfileForm(EntryForm):
    network = _text("Network", help_text="e.g. GitHub, LinkedIn.")
    username = _text("Username")
    url = LinkField(label="Address")
    FIELDS = ("network", "username", "url")
    REQUIRED_ANY = ("network", "url")
    REQUIRED_MESSAGE = "Give the network or the address of the profile."
    TITLE = "Profile"


class WorkForm(EntryForm):
    name = _text("Employer")
    position = _text("Position")
    startDate = DateField(label="Start")
    endDate = DateField(label="End", help_text="Empty if you still work there.")
    summary = _long("Summary")
    highlights = LinesField(label="Highlights", help_text="One per line.")
    FIELDS = ("name", "position", "startDate", "endDate", "summary", "highlights")
    REQUIRED_ANY = ("name", "position")
    REQUIRED_MESSAGE = "Give the employer's name or the position."
    TITLE = "Job"


class EducationForm(EntryForm):
    institution = _text("School or university")
    area = _text("Subject")
    studyType = _text("Degree")
    startDate = DateField(label="Start")
    endDate = DateField(label="End")
    FIELDS = ("institution", "area", "studyType", "startDate", "endDate")
    REQUIRED_ANY = ("institution",)
    REQUIRED_MESSAGE = "Give the name of the school or university."
    TITLE = "School"


class ProjectForm(EntryForm):
    name = _text("Name")
    description = _long("Description")
    url = LinkField(label="Address")
    startDate = DateField(label="Start")
    endDate = DateField(label="End")
    FIELDS = ("name", "description", "url", "startDate", "endDate")
    REQUIRED_ANY = ("name",)
    REQUIRED_MESSAGE = "Give the project a name."
    TITLE = "Project"


class SkillForm(EntryForm):
    name = _text("Skill")
    keywords = CommaField(label="Keywords", help_text="Separated by commas.")
    FIELDS = ("name", "keywords")
    REQUIRED_ANY = ("name",)
    REQUIRED_MESSAGE = "Give the skill a name."
    TITLE = "Skill"


class LanguageForm(EntryForm):
    language = _text("Language")
    fluency = _text("Level", help_text="e.g. Native, Fluent, B2.")
    FIELDS = ("language", "fluency")
    REQUIRED_ANY = ("language",)
    REQUIRED_MESSAGE = "Name the language."
    TITLE = "Language"


class CertificateForm(EntryForm):
    name = _text("Name")
    issuer = _text("Issued by")
    date = DateField(label="Date")
    url = LinkField(label="Address")
    FIELDS = ("name", "issuer", "date", "url")
    REQUIRED_ANY = ("name",)
    REQUIRED_MESSAGE = "Give the certificate a name."
    TITLE = "Certificate"


class VolunteerForm(EntryForm):
    organization = _text("Organisation")
    position = _text("Role")
    url = LinkField(label="Address")
    startDate = DateField(label="Start")
    endDate = DateField(label="End")
    summary = _long("Summary")
    highlights = LinesField(label="Highlights", help_text="One per line.")
    FIELDS = ("organization", "position", "url", "startDate", "endDate", "summary", "highlights")
    REQUIRED_ANY = ("organization", "position")
    REQUIRED_MESSAGE = "Give the organisation or your role."
    TITLE = "Volunteering"


class AwardForm(EntryForm):
    title = _text("Award")
    awarder = _text("Awarded by")
    date = DateField(label="Date")
    summary = _long("Summary")
    FIELDS = ("title", "awarder", "date", "summary")
    REQUIRED_ANY = ("title",)
    REQUIRED_MESSAGE = "Name the award."
    TITLE = "Award"


class PublicationForm(EntryForm):
    name = _text("Title")
    publisher = _text("Published in / by")
    releaseDate = DateField(label="Date")
    url = LinkField(label="Address")
    summary = _long("Summary")
    FIELDS = ("name", "publisher", "releaseDate", "url", "summary")
    REQUIRED_ANY = ("name",)
    REQUIRED_MESSAGE = "Give the publication's title."
    TITLE = "Publication"


class InterestForm(EntryForm):
    name = _text("Interest")
    keywords = CommaField(label="Keywords", help_text="Separated by commas.")
    FIELDS = ("name", "keywords")
    REQUIRED_ANY = ("name",)
    REQUIRED_MESSAGE = "Name the interest."
    TITLE = "Interest"


# (key in the document / formset prefix, heading, form, label of the add button)
SECTIONS: tuple[tuple[str, str, type[EntryForm], str], ...] = (
    ("profiles", "Profiles", ProfileForm, "Add a profile"),
    ("work", "Work", WorkForm, "Add a job"),
    ("education", "Education", EducationForm, "Add a school"),
    ("projects", "Projects", ProjectForm, "Add a project"),
    ("skills", "Skills", SkillForm, "Add a skill"),
    ("languages", "Languages", LanguageForm, "Add a language"),
    ("certificates", "Certificates", CertificateForm, "Add a certificate"),
    ("volunteer", "Volunteering", VolunteerForm, "Add volunteering"),
    ("awards", "Awards", AwardForm, "Add an award"),
    ("publications", "Publications", PublicationForm, "Add a publication"),
    ("interests", "Interests", InterestForm, "Add an interest"),
)
SECTION_KEYS = tuple(s[0] for s in SECTIONS)

FORMSETS = {
    key: formset_factory(
        form, extra=0, can_delete=True, can_order=True, max_num=LIST_MAX, absolute_max=LIST_MAX
    )
    for key, _h, form, _a in SECTIONS
}


# --- Warnings beside sections ---------------------------------------------------------

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


def confidence_notes(confidence: Mapping | None) -> list[str]:
    """One plain sentence per field the extractor was unsure of ("low"),
    naming its section so that it shows beside it."""
    notes = []
    for key, level in (confidence or {}).items():
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


_PATH = re.compile(r"^(?P<section>[A-Za-z]+)(?:\[(?P<index>\d+)\])?\.(?P<path>[A-Za-z.]+)")
UNSURE = "We were not sure we read this right; please check it."


def notes_by_field(
    warnings: Iterable[str], confidence: Mapping | None = None
) -> dict[tuple[str, int | None, str], list[str]]:
    """Notes for single fields: warnings that start with a document path
    ("work[1].startDate: ...") and the fields the extractor was unsure of.
    Keys: (section, entry index or None for basics, form field name)."""
    notes: dict[tuple[str, int | None, str], list[str]] = {}

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
    return notes


def _attach(form, notes: Mapping, section: str, index: int | None) -> None:
    """Give each field of `form` its notes (read by _edit_field.html)."""
    for name, field in form.fields.items():
        field.notes = notes.get((section, index, name), [])


def field_notes(doc: Mapping, warnings: Iterable[str]) -> dict[str, list[str]]:
    """Notes to show per section (the extraction's warnings, and the local
    extractor's low-confidence fields through confidence_notes())."""
    return notes_by_section(warnings)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- The editor -------------------------------------------------------------------------


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


def _put(target: dict, key: str, value) -> None:
    if value in (None, "", [], {}):
        target.pop(key, None)
    else:
        target[key] = value
