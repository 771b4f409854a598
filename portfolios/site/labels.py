"""The words of a page in its language and dates as that language writes them
(issue 15 point 2).

The words live in Django's translation catalogues (`locale/<lang>/LC_MESSAGES/
django.po`, context "portfolio site"); `labels(lang)` looks each one up in the
page's language, which `extraction.resume.document_language` tells from the
document (`meta.language`, else its text, else English). Month names come from
Django's own locale catalogues and formats.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import formats, translation
from django.utils.translation import pgettext

from extraction.resume import LANGUAGES

from .values import _text

CONTEXT = "portfolio site"


def _words() -> dict[str, str]:
    """Every word a theme shows, in the active language."""
    return {
        "about": pgettext("portfolio site", "About"),
        "work": pgettext("portfolio site", "Experience"),
        "volunteer": pgettext("portfolio site", "Volunteering"),
        "education": pgettext("portfolio site", "Education"),
        "projects": pgettext("portfolio site", "Projects"),
        "skills": pgettext("portfolio site", "Skills"),
        "languages": pgettext("portfolio site", "Languages"),
        "certificates": pgettext("portfolio site", "Certificates"),
        "awards": pgettext("portfolio site", "Awards"),
        "publications": pgettext("portfolio site", "Publications"),
        "interests": pgettext("portfolio site", "Interests"),
        "references": pgettext("portfolio site", "References"),
        "location": pgettext("portfolio site", "Location"),
        "contact": pgettext("portfolio site", "Contact"),
        "present": pgettext("portfolio site", "Present"),
        "skip": pgettext("portfolio site", "Skip to content"),
        "sections": pgettext("portfolio site", "Sections"),
        "photo": pgettext("portfolio site", "Photo of"),
        "email": pgettext("portfolio site", "Email"),
        "phone": pgettext("portfolio site", "Phone"),
        "website": pgettext("portfolio site", "Website"),
        "download": pgettext("portfolio site", "Download"),
        "vcard": pgettext("portfolio site", "Contact card (vCard)"),
        "json": pgettext("portfolio site", "Résumé data (JSON)"),
        "made": pgettext("portfolio site", "Made with cv2web"),
        "grade": pgettext("portfolio site", "Grade"),
        "courses": pgettext("portfolio site", "Courses"),
        "at": pgettext("portfolio site", "at"),
        "ongoing": pgettext("portfolio site", "ongoing"),
    }


def site_language(lang: str | None) -> str:
    """ "de-AT" -> "de"; a language the site does not speak -> "en"."""
    code = (lang or "en").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else "en"


def labels(lang: str | None) -> dict[str, str]:
    """The page's words in `lang` (English where the site does not speak it)."""
    with translation.override(site_language(lang)):
        return _words()


_labels = labels  # the name context.py has always used

_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


def format_date(value: object, lang: str = "en") -> str:
    """ "2020-01-15" or "2020-01" -> "Jan 2020" (English's short form), "Januar
    2020", "enero de 2020" (each other language's own YEAR_MONTH_FORMAT, from
    Django's locale formats); "2020" -> "2020"; other text as given."""
    s = _text(value)
    m = _DATE.match(s)
    if not m:
        return s
    year, month = int(m.group(1)), int(m.group(2) or 0)
    if not 1 <= month <= 12:
        return str(year)
    lang = site_language(lang)
    with translation.override(lang):
        pattern = "M Y" if lang == "en" else "YEAR_MONTH_FORMAT"
        return formats.date_format(dt.date(year, month, 1), pattern)


def date_range(start: object, end: object, lang: str = "en", *, ongoing: bool = True) -> str:
    """ "Jan 2020 – Present", "2018 – 2020", "Mar 2021" (a single date)."""
    a, b = format_date(start, lang), format_date(end, lang)
    if a and b:
        return a if a == b else f"{a} – {b}"
    if a:
        return f"{a} – {labels(lang)['present']}" if ongoing else a
    return b
