"""The review form (SPEC P-1): edit a JSON Resume document before or after publishing.

`Editor(doc)` builds a form for `basics` and a formset (add, delete, reorder)
for every list section the themes show, filled from `doc`. `Editor(doc,
data=request.POST)` binds it; `to_resume()` turns the cleaned data back into a
JSON Resume dict. Keys and sections the form does not cover are kept from
`doc`: every list entry carries a hidden `src`, its index in `doc`, so an
edited, moved or kept entry keeps its other keys (work.location, education.score…).

Warnings from the extraction are shown at the top and beside the section they
mention (`notes_by_section`). The extraction's per-field
confidence ("low", and "disagree" where a second reading differed) becomes a
note beside its field (`notes_by_field`), followed onto the entries of an
edited document (`confidence_for`).

Modules: `fields` (dates, links, lists), `forms` (the basics form and twelve
entry forms with their formsets), `language` (the page's language,
`meta.language`), `notes` (warnings and confidence beside sections and
fields), `editor` (the `Editor`). The names below are what the
rest of the project imports from `portfolios.editing`.
"""

from __future__ import annotations

from .editor import Editor, Section
from .fields import CommaField, DateField, LinesField, LinkField
from .forms import (
    FORMSETS,
    SECTION_KEYS,
    SECTIONS,
    AwardForm,
    BasicsForm,
    CertificateForm,
    EducationForm,
    EntryForm,
    InterestForm,
    LanguageForm,
    ProfileForm,
    ProjectForm,
    PublicationForm,
    ReferenceForm,
    SkillForm,
    VolunteerForm,
    WorkForm,
)
from .language import SiteLanguageForm
from .notes import (
    KEYWORDS,
    UNSURE,
    confidence_for,
    confidence_notes,
    field_notes,
    notes_by_field,
    notes_by_section,
    section_of,
)

__all__ = [
    "FORMSETS",
    "KEYWORDS",
    "SECTIONS",
    "SECTION_KEYS",
    "UNSURE",
    "AwardForm",
    "BasicsForm",
    "CertificateForm",
    "CommaField",
    "DateField",
    "EducationForm",
    "Editor",
    "EntryForm",
    "InterestForm",
    "LanguageForm",
    "LinesField",
    "LinkField",
    "ProfileForm",
    "ProjectForm",
    "PublicationForm",
    "ReferenceForm",
    "Section",
    "SiteLanguageForm",
    "SkillForm",
    "VolunteerForm",
    "WorkForm",
    "confidence_for",
    "confidence_notes",
    "field_notes",
    "notes_by_field",
    "notes_by_section",
    "section_of",
]
