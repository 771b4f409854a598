"""The forms of the review form: `BasicsForm` and one `EntryForm` per list section,
with the formset of each (SECTIONS, FORMSETS)."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.forms import formset_factory

from extraction.resume import LIST_MAX, SHORT_TEXT_MAX

from .fields import CommaField, DateField, LinesField, LinkField, _long, _text


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


class ReferenceForm(EntryForm):
    name = _text("Referee")
    reference = _long("Reference")
    FIELDS = ("name", "reference")
    REQUIRED_ANY = ("name", "reference")
    REQUIRED_MESSAGE = "Name the referee or write the reference."
    TITLE = "Reference"


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
    # Third-party data: kept in the owner's resume.json; public only when the
    # person ticks "Show my references" (Portfolio.show_references, default off).
    (
        "references",
        "References (published only if you tick “Show my references”)",
        ReferenceForm,
        "Add a reference",
    ),
)
SECTION_KEYS = tuple(s[0] for s in SECTIONS)

FORMSETS = {
    key: formset_factory(
        form, extra=0, can_delete=True, can_order=True, max_num=LIST_MAX, absolute_max=LIST_MAX
    )
    for key, _h, form, _a in SECTIONS
}
