"""The translation catalogues: every .po compiled into the .mo beside it (the
.mo files are committed so that `make run` needs no gettext tools)."""

from __future__ import annotations

import html
import importlib.util
import re
import shutil

import polib
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise

from extraction.resume import LANGUAGES
from tests.conftest import REPO


def _compiler():
    spec = importlib.util.spec_from_file_location(
        "compilemessages", REPO / "scripts/compilemessages.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_catalogue_is_compiled():
    compiler = _compiler()
    catalogues = compiler.catalogues()
    assert {p.parts[-3] for p in catalogues} == set(LANGUAGES)
    stale = compiler.stale()
    assert not stale, f"{[str(p) for p in stale]}: run `make messages` and commit the .mo files"


def test_a_po_changed_without_compiling_is_caught(tmp_path, monkeypatch):
    compiler = _compiler()
    copy = tmp_path / "locale"
    shutil.copytree(compiler.LOCALE, copy)
    monkeypatch.setattr(compiler, "LOCALE", copy)
    assert compiler.stale() == []
    po_path = copy / "de/LC_MESSAGES/django.po"
    po = polib.pofile(str(po_path))
    entry = po.find("Experience", msgctxt="portfolio site")
    entry.msgstr = "Erfahrung"
    po.save()
    assert compiler.stale() == [po_path]
    assert compiler.main(["--check"]) == 1
    assert compiler.main([]) == 0 and compiler.stale() == []


def test_the_site_languages_are_the_settings_languages():
    assert [code for code, _ in settings.LANGUAGES] == list(LANGUAGES)


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_every_site_word_is_translated(lang):
    po = polib.pofile(str(REPO / f"locale/{lang}/LC_MESSAGES/django.po"))
    site = [e for e in po if e.msgctxt == "portfolio site" and not e.obsolete]
    assert site and all(e.msgstr for e in site), [e.msgid for e in site if not e.msgstr]
    with translation.override(lang):
        assert translation.pgettext("portfolio site", "Experience") != "Experience"


# The app's own pages (not the portfolio themes, whose words are the site's
# labels, nor the admin's and the API browser's vendored templates): every
# word a person reads is marked for translation.
_NOT_APP = ("portfolios/themes/", "admin/", "drf_spectacular/")
APP_TEMPLATES = sorted(
    str(p.relative_to(REPO / "templates"))
    for p in (REPO / "templates").rglob("*")
    if p.suffix in (".html", ".txt")
    and not str(p.relative_to(REPO / "templates")).startswith(_NOT_APP)
)
_DROPPED = [
    re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S),
    # Code and scripts are not prose.
    re.compile(r"<(script|style|pre|code)\b.*?</\1>", re.S | re.I),
]
_TAGS = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)
_READ_ATTRIBUTES = re.compile(r"""\b(?:aria-label|title|placeholder|alt)="([^"]*)\"""", re.I)
_HTML = re.compile(r"<[^>]*>", re.S)
# The product's name and the time zone are the same words in every language.
_SAME_IN_EVERY_LANGUAGE = re.compile(r"\bcv2web\b|\bUTC\b")
_WORD = re.compile(r"[^\W\d_]{2,}")


def unmarked_words(source: str) -> list[str]:
    """The words of a template a person would read that no {% translate %} or
    {% blocktranslate %} carries: its text and its read attributes."""
    for rx in _DROPPED:
        source = rx.sub(" ", source)
    source = _TAGS.sub(" ", source)
    text = _HTML.sub(" ", source) + " " + " ".join(_READ_ATTRIBUTES.findall(source))
    return _WORD.findall(_SAME_IN_EVERY_LANGUAGE.sub(" ", html.unescape(text)))


def test_the_unmarked_word_finder_finds_what_it_should():
    assert unmarked_words('{% load i18n %}<p title="Tip">{% translate "Hi" %} there</p>') == [
        "there",
        "Tip",
    ]
    marked = (
        '{% load i18n %}<h1 class="x">{% translate "Log in" %}</h1>{# a note #}'
        "{% blocktranslate trimmed %}Hello {{ name }},{% endblocktranslate %}"
        '<a href="{% url "x" %}" aria-label="{% translate "Main" %}">{{ value }}</a>'
        "<code>POST /api</code> cv2web, 12:00 UTC &amp; 3"
    )
    assert unmarked_words(marked) == []


@pytest.mark.parametrize("name", APP_TEMPLATES)
def test_every_word_of_the_apps_pages_and_emails_is_marked(name):
    assert "accounts/home.html" in APP_TEMPLATES and "quotas/emails/confirm.txt" in APP_TEMPLATES
    source = (REPO / "templates" / name).read_text("utf-8")
    assert unmarked_words(source) == [], f"{name}: wrap these words in {{% translate %}}"
    if "translate" in source:
        assert re.search(r"\{%\s*load\s[^%]*\bi18n\b", source), f"{name} does not load i18n"


def test_every_marked_template_string_is_in_the_catalogue():
    po = polib.pofile(str(REPO / "locale/en/LC_MESSAGES/django.po"))
    ids = {e.msgid for e in po if not e.obsolete}
    literal = re.compile(r"""\{%\s*translate\s+(?:"([^"]+)"|'([^']+)')""")
    missing = [
        (name, a or b)
        for name in APP_TEMPLATES
        for a, b in literal.findall((REPO / "templates" / name).read_text("utf-8"))
        if (a or b) not in ids
    ]
    assert not missing, f"run `make messages` and commit the catalogues: {missing[:5]}"


def _forms():
    from portfolios import forms as portfolio_forms
    from portfolios.editing import forms as editing_forms
    from quotas import forms as account_forms

    made = [
        editing_forms.BasicsForm(),
        *(form() for _key, _heading, form, _add in editing_forms.SECTIONS),
        portfolio_forms.PublishForm(),
        portfolio_forms.PrivacyForm(),
        portfolio_forms.ThemeForm(),
        portfolio_forms.PdfForm(),
        account_forms.SignUpForm(),
        account_forms.TokenCreateForm(user=None),
    ]
    return editing_forms, made


def test_the_review_publish_and_account_forms_words_are_marked():
    editing_forms, made = _forms()
    words = []  # (where, the word)
    for form in made:
        where = type(form).__name__
        for name, field in form.fields.items():
            words += [(f"{where}.{name}", field.label), (f"{where}.{name}", field.help_text)]
            words += [(f"{where}.{name} error", m) for m in field.error_messages.values()]
            if name != "theme":  # the themes' own names
                words += [
                    (f"{where}.{name} choice", label)
                    for _value, label in getattr(field, "choices", [])
                    if label != "A4"  # a paper size's name
                ]
        if isinstance(form, editing_forms.EntryForm):
            words += [(where, form.TITLE), (where, form.REQUIRED_MESSAGE)]
    for key, heading, _form, add in editing_forms.SECTIONS:
        words += [(key, heading), (key, add)]
    plain = [(where, w) for where, w in words if isinstance(w, str) and w.strip()]
    assert not plain, f"words not marked with gettext_lazy: {plain[:8]}"
    assert sum(isinstance(w, Promise) for _, w in words) > 100
