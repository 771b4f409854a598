"""The forms of the review form: `BasicsForm` and one `EntryForm` per list section,
with the formset of each (SECTIONS, FORMSETS)."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from extraction.resume import LIST_MAX, SHORT_TEXT_MAX

from .fields import CommaField, DateField, LinesField, LinkField, _long, _text


class BasicsForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=SHORT_TEXT_MAX,
        error_messages={"required": _("Your name is needed: the page is about you.")},
    )
    label = _text(_("Title"), help_text=_("A short line under your name, e.g. “Data engineer”."))
    email = forms.EmailField(label=_("Email"), required=False, max_length=SHORT_TEXT_MAX)
    phone = _text(_("Phone"))
    url = LinkField(label=_("Website"))
    summary = _long(_("About you"))
    city = _text(_("City"))
    countryCode = _text(_("Country code"), help_text=_("Two letters, e.g. DE, FR, US."))

    FIELDS = ("name", "label", "email", "phone", "url", "summary")
    LOCATION = ("city", "countryCode")
    # WCAG 1.3.5 (identify input purpose): the person's own details, in the
    # browser's autofill vocabulary (HTML's autocomplete tokens).
    AUTOCOMPLETE = {
        "name": "name",
        "label": "organization-title",
        "email": "email",
        "phone": "tel",
        "url": "url",
        "city": "address-level2",
        "countryCode": "country",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, token in self.AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = token
        self.fields["phone"].widget.attrs["inputmode"] = "tel"

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
    REQUIRED_MESSAGE = _("This cannot be empty.")
    TITLE = _("Entry")

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
        return gettext("New %(entry)s") % {"entry": str(self.TITLE).lower()}


class ProfileForm(EntryForm):
    network = _text(_("Network"), help_text=_("e.g. GitHub, LinkedIn."))
    # The person's name on that network, not their log-in here.
    username = _text(_("Username"), widget=forms.TextInput(attrs={"autocomplete": "off"}))
    url = LinkField(label=_("Address"))
    FIELDS = ("network", "username", "url")
    REQUIRED_ANY = ("network", "url")
    REQUIRED_MESSAGE = _("Give the network or the address of the profile.")
    TITLE = _("Profile")


class WorkForm(EntryForm):
    name = _text(_("Employer"))
    position = _text(_("Position"))
    startDate = DateField(label=_("Start"))
    endDate = DateField(label=_("End"), help_text=_("Empty if you still work there."))
    summary = _long(_("Summary"))
    highlights = LinesField(label=_("Highlights"), help_text=_("One per line."))
    FIELDS = ("name", "position", "startDate", "endDate", "summary", "highlights")
    REQUIRED_ANY = ("name", "position")
    REQUIRED_MESSAGE = _("Give the employer's name or the position.")
    TITLE = _("Job")


class EducationForm(EntryForm):
    institution = _text(_("School or university"))
    area = _text(_("Subject"))
    studyType = _text(_("Degree"))
    startDate = DateField(label=_("Start"))
    endDate = DateField(label=_("End"))
    FIELDS = ("institution", "area", "studyType", "startDate", "endDate")
    REQUIRED_ANY = ("institution",)
    REQUIRED_MESSAGE = _("Give the name of the school or university.")
    TITLE = _("School")


class ProjectForm(EntryForm):
    name = _text(_("Name"))
    description = _long(_("Description"))
    url = LinkField(label=_("Address"))
    startDate = DateField(label=_("Start"))
    endDate = DateField(label=_("End"))
    FIELDS = ("name", "description", "url", "startDate", "endDate")
    REQUIRED_ANY = ("name",)
    REQUIRED_MESSAGE = _("Give the project a name.")
    TITLE = _("Project")


class SkillForm(EntryForm):
    name = _text(_("Skill"))
    keywords = CommaField(label=_("Keywords"), help_text=_("Separated by commas."))
    FIELDS = ("name", "keywords")
    REQUIRED_ANY = ("name",)
    REQUIRED_MESSAGE = _("Give the skill a name.")
    TITLE = _("Skill")


class LanguageForm(EntryForm):
    language = _text(_("Language"))
    fluency = _text(_("Level"), help_text=_("e.g. Native, Fluent, B2."))
    FIELDS = ("language", "fluency")
    REQUIRED_ANY = ("language",)
    REQUIRED_MESSAGE = _("Name the language.")
    TITLE = _("Language")


class CertificateForm(EntryForm):
    name = _text(_("Name"))
    issuer = _text(_("Issued by"))
    date = DateField(label=_("Date"))
    url = LinkField(label=_("Address"))
    FIELDS = ("name", "issuer", "date", "url")
    REQUIRED_ANY = ("name",)
    REQUIRED_MESSAGE = _("Give the certificate a name.")
    TITLE = _("Certificate")


class VolunteerForm(EntryForm):
    organization = _text(_("Organisation"))
    position = _text(_("Role"))
    url = LinkField(label=_("Address"))
    startDate = DateField(label=_("Start"))
    endDate = DateField(label=_("End"))
    summary = _long(_("Summary"))
    highlights = LinesField(label=_("Highlights"), help_text=_("One per line."))
    FIELDS = ("organization", "position", "url", "startDate", "endDate", "summary", "highlights")
    REQUIRED_ANY = ("organization", "position")
    REQUIRED_MESSAGE = _("Give the organisation or your role.")
    TITLE = _("Volunteering")


class AwardForm(EntryForm):
    title = _text(_("Award"))
    awarder = _text(_("Awarded by"))
    date = DateField(label=_("Date"))
    summary = _long(_("Summary"))
    FIELDS = ("title", "awarder", "date", "summary")
    REQUIRED_ANY = ("title",)
    REQUIRED_MESSAGE = _("Name the award.")
    TITLE = _("Award")


class PublicationForm(EntryForm):
    name = _text(_("Title"))
    publisher = _text(_("Published in / by"))
    releaseDate = DateField(label=_("Date"))
    url = LinkField(label=_("Address"))
    summary = _long(_("Summary"))
    FIELDS = ("name", "publisher", "releaseDate", "url", "summary")
    REQUIRED_ANY = ("name",)
    REQUIRED_MESSAGE = _("Give the publication's title.")
    TITLE = _("Publication")


class InterestForm(EntryForm):
    name = _text(_("Interest"))
    keywords = CommaField(label=_("Keywords"), help_text=_("Separated by commas."))
    FIELDS = ("name", "keywords")
    REQUIRED_ANY = ("name",)
    REQUIRED_MESSAGE = _("Name the interest.")
    TITLE = _("Interest")


class ReferenceForm(EntryForm):
    # Someone else's name: the browser must not offer the person's own.
    name = _text(_("Referee"), widget=forms.TextInput(attrs={"autocomplete": "off"}))
    reference = _long(_("Reference"))
    FIELDS = ("name", "reference")
    REQUIRED_ANY = ("name", "reference")
    REQUIRED_MESSAGE = _("Name the referee or write the reference.")
    TITLE = _("Reference")


# (key in the document / formset prefix, heading, form, label of the add button)
SECTIONS: tuple[tuple[str, str, type[EntryForm], str], ...] = (
    ("profiles", _("Profiles"), ProfileForm, _("Add a profile")),
    ("work", _("Work"), WorkForm, _("Add a job")),
    ("education", _("Education"), EducationForm, _("Add a school")),
    ("projects", _("Projects"), ProjectForm, _("Add a project")),
    ("skills", _("Skills"), SkillForm, _("Add a skill")),
    ("languages", _("Languages"), LanguageForm, _("Add a language")),
    ("certificates", _("Certificates"), CertificateForm, _("Add a certificate")),
    ("volunteer", _("Volunteering"), VolunteerForm, _("Add volunteering")),
    ("awards", _("Awards"), AwardForm, _("Add an award")),
    ("publications", _("Publications"), PublicationForm, _("Add a publication")),
    ("interests", _("Interests"), InterestForm, _("Add an interest")),
    # Third-party data: kept in the owner's resume.json; public only when the
    # person ticks "Show my references" (Portfolio.show_references, default off).
    (
        "references",
        _("References (published only if you tick “Show my references”)"),
        ReferenceForm,
        _("Add a reference"),
    ),
)
SECTION_KEYS = tuple(s[0] for s in SECTIONS)

FORMSETS = {
    key: formset_factory(
        form, extra=0, can_delete=True, can_order=True, max_num=LIST_MAX, absolute_max=LIST_MAX
    )
    for key, _h, form, _a in SECTIONS
}
