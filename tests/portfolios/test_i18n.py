"""The site in the CV's language (issue 15 point 2, acceptance 2): the language
detected at extraction, kept as `meta.language`, changed on the review page;
headings, months and "present" from Django's catalogues in the page."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import formats, translation

from extraction import queue, runner
from extraction.models import ExtractionJob
from extraction.resume import LANGUAGES, clean, detect_language, document_language, normalise
from portfolios import publishing
from portfolios.models import Portfolio
from portfolios.site import date_range, labels, render_site
from portfolios.themes import THEMES
from tests.conftest import sample
from tests.helpers import finished_job, form_values, publish_form

BASE_URL = "https://example.invalid/p/x/"

# One paragraph a CV could hold, per language.
TEXTS = {
    "en": "Led the team that built the billing service and moved it to the cloud "
    "with our partners.",
    "de": "Leitung des Teams für die Entwicklung der Abrechnung und die Migration in die Cloud "
    "sowie Betreuung der Kunden bei einem Partner.",
    "fr": "Responsable de l'équipe pour le développement de la facturation et la migration "
    "des services dans le cloud avec nos partenaires.",
    "es": "Responsable del equipo para el desarrollo de la facturación y la migración de los "
    "servicios a la nube con nuestros socios.",
    "pt": "Responsável pela equipa do desenvolvimento da faturação e da migração dos serviços "
    "para a nuvem com os nossos parceiros, também na gestão.",
    "it": "Responsabile del gruppo per lo sviluppo della fatturazione e della migrazione dei "
    "servizi nel cloud con i nostri partner.",
    "nl": "Verantwoordelijk voor het team van de ontwikkeling van de facturatie en de migratie "
    "van de diensten naar de cloud met onze partners.",
}


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_each_supported_language_is_detected_from_a_paragraph(lang):
    assert detect_language(TEXTS[lang]) == lang
    doc = {"basics": {"name": "Kim Doe", "summary": TEXTS[lang]}}
    assert document_language(doc) == lang


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Kim Doe\nkim@example.com\n+49 30 1234",
        "张伟\n软件工程师\n北京",
        "Python Django SQL AWS",
    ],
)
def test_no_detectable_language_falls_back_to_english(text):
    assert detect_language(text) is None
    doc = {
        "basics": {"name": "张伟", "summary": text},
        "work": [{"name": "X", "startDate": "2020"}],
    }
    assert document_language(doc) == "en"
    html = _index(doc, "classic")
    assert '<html lang="en">' in html and "Experience" in html


def test_meta_language_wins_over_the_text_and_survives_cleaning():
    doc = {"basics": {"name": "Kim", "summary": TEXTS["de"]}, "meta": {"language": "pt-BR"}}
    cleaned, _ = clean(doc)
    assert cleaned["meta"] == {"language": "pt"}
    assert document_language(cleaned) == "pt"
    # A code the site does not speak is dropped: the text decides again.
    dropped, _ = normalise({**doc, "meta": {"language": "xx"}})
    assert "meta" not in dropped and document_language(dropped) == "de"


def test_labels_and_dates_come_from_the_catalogues_and_djangos_locales():
    for lang in LANGUAGES:
        words = labels(lang)
        with translation.override(lang):
            january = formats.date_format(__import__("datetime").date(2020, 1, 1), "F")
        if lang == "en":
            assert words["work"] == "Experience" and words["present"] == "Present"
            assert date_range("2020-01", None, lang) == "Jan 2020 – Present"
            continue
        # Every word translated (no English left behind in another language's page).
        english = labels("en")
        same = {k for k in words if words[k] == english[k]}
        assert same <= {"website", "contact", "publications", "sections"}, (lang, same)
        assert january.lower() in date_range("2020-01", None, lang).lower()
        assert date_range("2020-01", None, lang).endswith(words["present"])
    assert date_range("2020-01", None, "de") == "Januar 2020 – heute"
    assert date_range("2019-05", "2020-03", "es") == "mayo de 2019 – marzo de 2020"
    assert labels("xx") == labels("en")


def _index(doc: dict, theme: str) -> str:
    files = {f.name: f for f in render_site(doc, theme, base_url=BASE_URL, slug="x")}
    return files["index.html"].content.decode()


def _extract(client, name: str) -> ExtractionJob:
    """Upload a sample CV through the home page and run its job with the local extractor."""
    path = sample(name)
    r = client.post("/", {"file": SimpleUploadedFile(path.name, path.read_bytes())})
    assert r.status_code == 302, r.content[:300]
    runner.run_job(queue.claim_next("w"))
    job = ExtractionJob.objects.order_by("-created_at").first()
    assert job.result is not None, job.error
    return job


# The sample CVs of shared/cv-samples/manifest.csv in Spanish and German, what
# their page must say, and the months their dates use.
ACCEPTANCE = {
    "dev-04-even.pdf": {
        "lang": "es",
        "headings": ["Experiencia", "Formación"],
        "present": "actualidad",
    },
    "dev-01-even.pdf": {
        "lang": "de",
        "headings": ["Berufserfahrung", "Ausbildung"],
        "present": "heute",
    },
}


def _months(lang: str) -> set[str]:
    import datetime as dt

    with translation.override(lang):
        return {formats.date_format(dt.date(2020, m, 1), "F").lower() for m in range(1, 13)}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ACCEPTANCE))
def test_a_spanish_and_a_german_cv_publish_in_their_language(client, settings, name):
    settings.EXTRACTOR = "local"
    want = ACCEPTANCE[name]
    lang = want["lang"]
    job = _extract(client, name)
    assert job.result["meta"]["language"] == lang
    english_months = _months("en")
    for theme in THEMES:
        doc, _notes = publishing.prepare(job.result, theme)
        html = _index(doc, theme)
        assert f'<html lang="{lang}">' in html, theme
        headings = re.findall(r"<h2[^>]*>(.*?)</h2>", html, re.S)
        for heading in want["headings"]:
            assert heading in headings, (theme, headings)
        assert "Experience" not in headings and "Education" not in headings
        words = set(re.findall(r"[^\W\d_]+", html.lower()))
        assert words & _months(lang), theme
        # Dates speak the language: no English month name written beside a year.
        dated = re.findall(r"([^\W\d_]+)(?: de)? (?:19|20)\d\d\b", html)
        assert not {w.lower() for w in dated} & (english_months - _months(lang)), dated
        assert f"– {want['present']}" in html, theme
        assert "Present" not in html
    # And the published site itself, through the page: the sandbox's index.html.
    publish_form(client, job, theme="modern")
    portfolio = Portfolio.objects.get()
    page = (portfolio.sandbox_path / "index.html").read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in page and want["headings"][0] in page


@pytest.mark.django_db
def test_the_review_page_changes_the_language_of_the_page(client):
    job = finished_job(client, "Kim Doe\nkim@example.com\n\n" + TEXTS["de"] + "\n")
    page = client.get(f"/jobs/{job.pk}/review")
    text = page.content.decode()
    assert 'name="site-language"' in text
    assert re.search(r'<option value="de" selected>', text), "the detected language is chosen"
    values = form_values(page)
    values["site-language"] = "fr"
    r = client.post(f"/jobs/{job.pk}/review", values)
    assert r.status_code == 303
    edited = client.session[f"pages:edited:{job.pk}"]
    assert edited["meta"]["language"] == "fr"
    preview = client.get(f"/jobs/{job.pk}/preview/classic").content.decode()
    assert '<html lang="fr">' in preview and "Créé avec cv2web" in preview
    # The review page shows the choice it kept.
    again = client.get(f"/jobs/{job.pk}/review").content.decode()
    assert re.search(r'<option value="fr" selected>', again)
    # Publishing keeps it: the portfolio's document and page are in French.
    assert publish_form(client, job).status_code == 303
    portfolio = Portfolio.objects.get()
    assert portfolio.resume["meta"]["language"] == "fr"
    assert '<html lang="fr">' in (portfolio.sandbox_path / "index.html").read_text()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["xx", "english", "<script>", "de;fr"])
def test_an_unsupported_language_is_a_form_error_and_nothing_is_saved(client, value):
    job = finished_job(client, "Kim Doe\nkim@example.com\n\n" + TEXTS["de"] + "\n")
    values = form_values(client.get(f"/jobs/{job.pk}/review"))
    values["site-language"] = value
    r = client.post(f"/jobs/{job.pk}/review", values)
    assert r.status_code == 400
    text = r.content.decode()
    assert "is not a language your page can be written in" in text
    assert "<script>" not in text
    assert f"pages:edited:{job.pk}" not in client.session
    assert Portfolio.objects.count() == 0


@pytest.mark.django_db
def test_the_api_sets_and_changes_the_language_through_meta(api, alice):
    api.force_authenticate(alice)
    doc = {"basics": {"name": "Kim Doe", "summary": TEXTS["nl"]}, "meta": {"language": "it"}}
    r = api.post("/api/v1/portfolios", {"resume": doc}, format="json")
    assert r.status_code == 201, r.json()
    pid = r.json()["id"]
    portfolio = Portfolio.objects.get(pk=pid)
    assert '<html lang="it">' in (portfolio.sandbox_path / "index.html").read_text()
    # Without meta.language, the document's words decide: Dutch.
    r = api.patch(f"/api/v1/portfolios/{pid}", {"resume": {**doc, "meta": {}}}, format="json")
    assert r.status_code == 200, r.json()
    page = (portfolio.sandbox_path / "index.html").read_text()
    assert '<html lang="nl">' in page and "Over mij" in page


def _one_file_per_person() -> list[tuple[str, str]]:
    import csv

    from tests.conftest import SAMPLES

    manifest = SAMPLES / "manifest.csv"
    if not manifest.exists():
        return [("manifest.csv", "")]  # sample() below skips, or fails in CI
    seen: dict[str, tuple[str, str]] = {}
    with manifest.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["format"] == "pdf":
                seen.setdefault(row["person_id"], (row["file"], row["lang"]))
    return sorted(seen.values())


@pytest.mark.parametrize(("name", "lang"), _one_file_per_person())
def test_each_sample_cv_gets_the_language_its_manifest_names(name, lang):
    """shared/cv-samples: en, de, es, fr are found; zh is not a language the site
    speaks, so the page is English (its PDFs carry their theme's English headings,
    which may be read as English, or nothing is told at all)."""
    import time

    from extraction import pipeline

    path = sample(name)
    result = pipeline.run(path, "pdf", "local", deadline=time.monotonic() + 60)
    stored = (result.resume.get("meta") or {}).get("language")
    if lang in LANGUAGES:
        assert stored == lang
    else:
        assert stored in (None, "en") and document_language(result.resume) == "en"
