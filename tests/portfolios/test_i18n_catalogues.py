"""The translation catalogues: every .po compiled into the .mo beside it (the
.mo files are committed so that `make run` needs no gettext tools)."""

from __future__ import annotations

import importlib.util
import shutil

import polib
import pytest
from django.conf import settings
from django.utils import translation

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
