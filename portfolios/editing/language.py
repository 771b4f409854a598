"""The language of the person's page (issue 15 point 2): detected from the CV,
changed here on the review form, kept in the document as `meta.language`."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from extraction.resume import LANGUAGES, document_language
from extraction.resume.language import stored_language


def _choices() -> list[tuple[str, str]]:
    names = dict(settings.LANGUAGES)
    return [(code, names.get(code, code)) for code in LANGUAGES]


class SiteLanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of your page"),
        choices=_choices,
        required=False,
        help_text=_(
            "Its headings, month names and “present” are written in this language. "
            "We chose it from your CV's text."
        ),
        error_messages={
            "invalid_choice": _(
                "“%(value)s” is not a language your page can be written in: "
                "choose one from the list."
            )
        },
    )

    @classmethod
    def initial_from(cls, doc: Mapping) -> dict:
        return {"language": document_language(doc)}

    def apply(self, doc: dict) -> None:
        """Put the chosen language in `doc["meta"]` (call after is_valid()).

        A document left as it was stays as it was: where `meta.language` is
        absent and the choice is what its text says anyway, nothing is added."""
        lang = self.cleaned_data.get("language")
        if lang and (stored_language(doc) or lang != document_language(doc)):
            meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
            doc["meta"] = {**meta, "language": lang}
