"""Forms of the publishing and manage pages."""

from __future__ import annotations

from django import forms

from .themes import DEFAULT_THEME, THEMES


def theme_choices() -> list[tuple[str, str]]:
    return [(t.name, t.label) for t in THEMES.values()]


class PublishForm(forms.Form):
    theme = forms.ChoiceField(
        choices=theme_choices, initial=DEFAULT_THEME, widget=forms.RadioSelect
    )
    email = forms.EmailField(
        required=False,
        label="Email (optional)",
        help_text="We send your manage link there, and a note before the site is cleaned up.",
    )
    # One-time key: a double-clicked Publish makes one portfolio.
    publish_key = forms.CharField(max_length=64, min_length=16, widget=forms.HiddenInput)


class ThemeForm(forms.Form):
    theme = forms.ChoiceField(choices=theme_choices, label="Theme")
