"""Form fields of the review form for JSON Resume values: dates, links, lists."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext as _

from extraction.resume import LIST_MAX, LONG_TEXT_MAX, SHORT_TEXT_MAX, clean_url, parse_date

_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


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
                _("Write the date as YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2021-04."), code="date"
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
                _("Use a web address starting with https:// or http://, or a mailto: link."),
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
            raise forms.ValidationError(_("One of the lines is too long."), code="max_length")
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
            raise forms.ValidationError(_("One of the items is too long."), code="max_length")
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
