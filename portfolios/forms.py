"""Forms of the publishing and manage pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import gate
from .publishing import PRIVACY_FLAGS
from .themes import DEFAULT_THEME, THEMES


def theme_choices() -> list[tuple[str, str]]:
    return [(t.name, t.label) for t in THEMES.values()]


class _PrivacyFields(forms.Form):
    """What the person shows, and whether search engines may index the site
    (issue 15 point 5); `choices()` is what publishing.privacy_fields takes."""

    show_email = forms.BooleanField(required=False, initial=True, label=_("Show my e-mail address"))
    show_phone = forms.BooleanField(required=False, initial=True, label=_("Show my phone number"))
    show_city = forms.BooleanField(required=False, initial=True, label=_("Show my city and region"))
    show_address = forms.BooleanField(
        required=False, initial=False, label=_("Show my street address and postal code")
    )
    show_references = forms.BooleanField(
        required=False,
        initial=False,
        label=_("Show my references"),
        help_text=_(
            "Your referees' names and what they wrote: their words, not yours, so "
            "ask them first. Off: no page or download shows them."
        ),
    )
    allow_indexing = forms.BooleanField(
        required=False,
        label=_("Let search engines list my portfolio"),
        help_text=_("Off: the site asks search engines not to index it (noindex)."),
    )
    passphrase = forms.CharField(
        required=False,
        strip=False,
        label=_("Passphrase"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Visitors must enter it before they see anything of the site."),
    )

    def _check_passphrase(self, value: str) -> None:
        try:
            gate.validate(value)
        except gate.PassphraseError as exc:
            self.add_error("passphrase", str(exc))

    def flags(self) -> dict:
        # The one list of privacy choices (publishing decides what they mean).
        return {name: self.cleaned_data[name] for name in PRIVACY_FLAGS}


class PublishPrivacyForm(_PrivacyFields):
    """At publish time: an empty passphrase field means no passphrase.

    `privacy_shown` says the page showed the choices: a form posted without it
    (a tab opened before they existed) publishes with the defaults rather than
    read its missing checkboxes as "hide everything"."""

    privacy_shown = forms.CharField(required=False, initial="1", widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("passphrase"):
            self._check_passphrase(data["passphrase"])
        return data

    def choices(self) -> dict:
        if not self.cleaned_data.get("privacy_shown"):
            return {}
        out = self.flags()
        if self.cleaned_data.get("passphrase"):
            out["passphrase"] = self.cleaned_data["passphrase"]
        return out


class PrivacyForm(_PrivacyFields):
    """On the manage page: keep, set or remove the passphrase, said explicitly."""

    passphrase_action = forms.ChoiceField(
        choices=[
            ("keep", _("Keep the current setting")),
            ("set", _("Set a new passphrase")),
            ("remove", _("No passphrase")),
        ],
        initial="keep",
        widget=forms.RadioSelect,
        label=_("Passphrase"),
    )

    def clean(self):
        data = super().clean()
        if data.get("passphrase_action") == "set":
            self._check_passphrase(data.get("passphrase", ""))
        return data

    def choices(self) -> dict:
        out = self.flags()
        action = self.cleaned_data["passphrase_action"]
        if action == "set":
            out["passphrase"] = self.cleaned_data["passphrase"]
        elif action == "remove":
            out["passphrase"] = None
        return out


class PublishForm(PublishPrivacyForm):
    """Publishing: the theme, where the manage link goes, and the privacy choices."""

    theme = forms.ChoiceField(
        choices=theme_choices, initial=DEFAULT_THEME, widget=forms.RadioSelect
    )
    email = forms.EmailField(
        required=False,
        label=_("Email (optional)"),
        help_text=_("We send your manage link there, and a note before the site is cleaned up."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # One-time key: a double-clicked Publish makes one portfolio.
    publish_key = forms.CharField(max_length=64, min_length=16, widget=forms.HiddenInput)


class ThemeForm(forms.Form):
    theme = forms.ChoiceField(choices=theme_choices, label=_("Theme"))


class PdfForm(forms.Form):
    """The paper of the manage page's PDF download (a GET form)."""

    paper = forms.ChoiceField(choices=[("a4", "A4"), ("letter", _("Letter"))], label=_("Paper"))
