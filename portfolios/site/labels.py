"""The words of a page in its language (LABELS) and dates as a person reads them."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import formats, translation

from .values import _text

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "about": "About",
        "work": "Experience",
        "volunteer": "Volunteering",
        "education": "Education",
        "projects": "Projects",
        "skills": "Skills",
        "languages": "Languages",
        "certificates": "Certificates",
        "awards": "Awards",
        "publications": "Publications",
        "interests": "Interests",
        "location": "Location",
        "contact": "Contact",
        "present": "Present",
        "skip": "Skip to content",
        "sections": "Sections",
        "photo": "Photo of",
        "email": "Email",
        "phone": "Phone",
        "website": "Website",
        "download": "Download",
        "vcard": "Contact card (vCard)",
        "json": "Résumé data (JSON)",
        "made": "Made with cv2web",
        "grade": "Grade",
        "courses": "Courses",
        "at": "at",
        "ongoing": "ongoing",
    },
    "de": {
        "about": "Über mich",
        "work": "Berufserfahrung",
        "volunteer": "Ehrenamt",
        "education": "Ausbildung",
        "projects": "Projekte",
        "skills": "Kenntnisse",
        "languages": "Sprachen",
        "certificates": "Zertifikate",
        "awards": "Auszeichnungen",
        "publications": "Veröffentlichungen",
        "interests": "Interessen",
        "location": "Ort",
        "contact": "Kontakt",
        "present": "heute",
        "skip": "Zum Inhalt springen",
        "sections": "Abschnitte",
        "photo": "Foto von",
        "email": "E-Mail",
        "phone": "Telefon",
        "website": "Website",
        "download": "Herunterladen",
        "vcard": "Kontaktkarte (vCard)",
        "json": "Lebenslaufdaten (JSON)",
        "made": "Erstellt mit cv2web",
        "grade": "Note",
        "courses": "Kurse",
        "at": "bei",
        "ongoing": "laufend",
    },
    "fr": {
        "about": "À propos",
        "work": "Expérience",
        "volunteer": "Bénévolat",
        "education": "Formation",
        "projects": "Projets",
        "skills": "Compétences",
        "languages": "Langues",
        "certificates": "Certifications",
        "awards": "Distinctions",
        "publications": "Publications",
        "interests": "Centres d’intérêt",
        "location": "Lieu",
        "contact": "Contact",
        "present": "aujourd’hui",
        "skip": "Aller au contenu",
        "sections": "Sections",
        "photo": "Photo de",
        "email": "E-mail",
        "phone": "Téléphone",
        "website": "Site web",
        "download": "Télécharger",
        "vcard": "Carte de contact (vCard)",
        "json": "Données du CV (JSON)",
        "made": "Créé avec cv2web",
        "grade": "Note",
        "courses": "Cours",
        "at": "chez",
        "ongoing": "en cours",
    },
    "es": {
        "about": "Sobre mí",
        "work": "Experiencia",
        "volunteer": "Voluntariado",
        "education": "Formación",
        "projects": "Proyectos",
        "skills": "Habilidades",
        "languages": "Idiomas",
        "certificates": "Certificados",
        "awards": "Premios",
        "publications": "Publicaciones",
        "interests": "Intereses",
        "location": "Ubicación",
        "contact": "Contacto",
        "present": "actualidad",
        "skip": "Ir al contenido",
        "sections": "Secciones",
        "photo": "Foto de",
        "email": "Correo",
        "phone": "Teléfono",
        "website": "Sitio web",
        "download": "Descargar",
        "vcard": "Tarjeta de contacto (vCard)",
        "json": "Datos del CV (JSON)",
        "made": "Hecho con cv2web",
        "grade": "Nota",
        "courses": "Cursos",
        "at": "en",
        "ongoing": "en curso",
    },
}


def _labels(lang: str) -> dict[str, str]:
    return LABELS.get((lang or "en").split("-")[0].lower(), LABELS["en"])


_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


def format_date(value: object, lang: str = "en") -> str:
    """ "2020-01-15" or "2020-01" -> "Jan 2020"; "2020" -> "2020"; other text as given."""
    s = _text(value)
    m = _DATE.match(s)
    if not m:
        return s
    year, month = int(m.group(1)), int(m.group(2) or 0)
    if not 1 <= month <= 12:
        return str(year)
    with translation.override(lang or "en"):
        return formats.date_format(dt.date(year, month, 1), "M Y")


def date_range(start: object, end: object, lang: str = "en", *, ongoing: bool = True) -> str:
    """ "Jan 2020 – Present", "2018 – 2020", "Mar 2021" (a single date)."""
    a, b = format_date(start, lang), format_date(end, lang)
    if a and b:
        return a if a == b else f"{a} – {b}"
    if a:
        return f"{a} – {_labels(lang)['present']}" if ongoing else a
    return b
