"""Render a JSON Resume document into a static portfolio site (SPEC P-2, P-6, P-7).

Pure functions, no models and no database:

- `render_site(resume, theme, base_url=..., slug=...)` returns the files of the
  site: `index.html`, `style.css`, `resume.json`, `contact.vcf` and `site.zip`
  (all of the others). Every one of them is public, so all are made from
  `public_document(resume)`: exactly what the page shows (issue 10 item 12).
- `render_owner_archive(...)` is the owner's ZIP: the same page with the whole
  document and a full vCard; it is never written to a sandbox.
- `render_preview(resume, theme)` returns the same `index.html` alone.
- `check_quality(files)` is the gate before a site goes live; it raises
  `QualityError` listing what is wrong, in plain words.

The templates are safe on their own: everything is autoescaped, every URL goes
through the `safe_url` filter (http, https and mailto only) and the JSON-LD
block is escaped so that no value can close the `<script>` element.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.safestring import mark_safe

from ..themes import get_theme, theme_stylesheet

DEFAULT_WEIGHT_BUDGET_BYTES = 51200
DESCRIPTION_MAX = 160
ALLOWED_SCHEMES = ("http", "https", "mailto")

CONTENT_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "resume.json": "application/json",
    "contact.vcf": "text/vcard; charset=utf-8",
    "site.zip": "application/zip",
}


@dataclass
class SiteFile:
    name: str
    content: bytes
    content_type: str


class QualityError(Exception):
    """A generated site must not go live; `problems` says why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems) or "quality check failed")


# --------------------------------------------------------------------------- values
_URL_JUNK = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200d\u2060\ufeff]+")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def safe_url(value: object) -> str:
    """`value` if it is an absolute http(s) URL with a host or a mailto: URL, else "".

    Checked the way a browser reads a URL: whitespace and control characters
    anywhere are ignored, so " java\\tscript:" is caught as javascript:.
    """
    if not isinstance(value, str):
        return ""
    s = value.strip()
    probe = _URL_JUNK.sub("", s)
    m = _SCHEME.match(probe)
    if not m:
        return ""
    scheme = m.group(1).lower()
    if scheme not in ALLOWED_SCHEMES or _URL_JUNK.search(s):
        return ""
    if scheme in ("http", "https"):
        try:
            parts = urlsplit(s)
        except ValueError:
            return ""
        if not parts.netloc or not parts.hostname or not s[m.end() :].startswith("//"):
            return ""
    elif len(s) <= len("mailto:"):
        return ""
    return s


def _text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [t for t in (_text(v) for v in value) if t]


def _items(resume: dict, key: str) -> list[dict]:
    value = resume.get(key)
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, dict)]


def _paragraphs(value: object) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n|\n", _text(value)) if p.strip()]


def _truncate(text: str, limit: int = DESCRIPTION_MAX) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-–—") + "…"


# --------------------------------------------------------------------------- words
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


# --------------------------------------------------------------------------- view model
def _entry(
    *,
    title: str,
    org: str = "",
    org_url: object = "",
    url: object = "",
    dates: str = "",
    place: str = "",
    summary: object = "",
    highlights: object = None,
    keywords: object = None,
    notes: list[str] | None = None,
) -> dict:
    org_url, url = safe_url(org_url), safe_url(url)
    if not title:
        title, org, url, org_url = org, "", url or org_url, ""
    return {
        "title": title,
        "url": url,
        "org": org,
        "org_url": org_url,
        "dates": dates,
        "place": place,
        "summary": _paragraphs(summary),
        "highlights": _texts(highlights),
        "keywords": _texts(keywords),
        "notes": [n for n in notes or [] if n],
    }


def _sections(resume: dict, lang: str) -> list[dict]:
    L = _labels(lang)
    out: list[dict] = []

    def add(key: str, kind: str, items: list[dict]) -> None:
        items = [i for i in items if i.get("title") or i.get("name")]
        if items:
            out.append({"id": key, "title": L[key], "kind": kind, "items": items})

    add(
        "work",
        "entries",
        [
            _entry(
                title=_text(w.get("position")),
                org=_text(w.get("name")) or _text(w.get("company")),
                org_url=w.get("url") or w.get("website"),
                dates=date_range(w.get("startDate"), w.get("endDate"), lang),
                place=_text(w.get("location")),
                summary=w.get("summary") or w.get("description"),
                highlights=w.get("highlights"),
            )
            for w in _items(resume, "work")
        ],
    )
    add(
        "projects",
        "entries",
        [
            _entry(
                title=_text(p.get("name")),
                url=p.get("url"),
                org=_text(p.get("entity")) or ", ".join(_texts(p.get("roles"))),
                dates=date_range(p.get("startDate"), p.get("endDate"), lang, ongoing=False),
                summary=p.get("description"),
                highlights=p.get("highlights"),
                keywords=p.get("keywords"),
            )
            for p in _items(resume, "projects")
        ],
    )
    add(
        "education",
        "entries",
        [
            _entry(
                title=", ".join(t for t in (_text(e.get("studyType")), _text(e.get("area"))) if t),
                org=_text(e.get("institution")),
                org_url=e.get("url"),
                dates=date_range(e.get("startDate"), e.get("endDate"), lang, ongoing=False),
                keywords=e.get("courses"),
                notes=[f"{L['grade']}: {_text(e.get('score'))}" if _text(e.get("score")) else ""],
            )
            for e in _items(resume, "education")
        ],
    )
    add(
        "volunteer",
        "entries",
        [
            _entry(
                title=_text(v.get("position")),
                org=_text(v.get("organization")),
                org_url=v.get("url") or v.get("website"),
                dates=date_range(v.get("startDate"), v.get("endDate"), lang),
                summary=v.get("summary"),
                highlights=v.get("highlights"),
            )
            for v in _items(resume, "volunteer")
        ],
    )
    add(
        "skills",
        "tags",
        [
            {
                "name": _text(s.get("name")),
                "detail": _text(s.get("level")),
                "keywords": _texts(s.get("keywords")),
            }
            for s in _items(resume, "skills")
        ],
    )
    add(
        "languages",
        "pairs",
        [
            {"name": _text(x.get("language")), "detail": _text(x.get("fluency"))}
            for x in _items(resume, "languages")
        ],
    )
    add(
        "certificates",
        "entries",
        [
            _entry(
                title=_text(c.get("name")),
                url=c.get("url"),
                org=_text(c.get("issuer")),
                dates=format_date(c.get("date"), lang),
            )
            for c in _items(resume, "certificates")
        ],
    )
    add(
        "awards",
        "entries",
        [
            _entry(
                title=_text(a.get("title")),
                org=_text(a.get("awarder")),
                dates=format_date(a.get("date"), lang),
                summary=a.get("summary"),
            )
            for a in _items(resume, "awards")
        ],
    )
    add(
        "publications",
        "entries",
        [
            _entry(
                title=_text(p.get("name")),
                url=p.get("url"),
                org=_text(p.get("publisher")),
                dates=format_date(p.get("releaseDate"), lang),
                summary=p.get("summary"),
            )
            for p in _items(resume, "publications")
        ],
    )
    add(
        "interests",
        "tags",
        [
            {"name": _text(i.get("name")), "detail": "", "keywords": _texts(i.get("keywords"))}
            for i in _items(resume, "interests")
        ],
    )
    return out


SIDE_SECTIONS = ("skills", "languages", "interests")
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def script_json(data: object) -> str:
    """JSON that is safe inside a <script> element (no "</script>", no "<!--")."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.translate(_JSON_ESCAPES).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return mark_safe(text)  # noqa: S308 - every <, > and & is escaped above


def _current_job(resume: dict) -> dict | None:
    current = [w for w in _items(resume, "work") if not _text(w.get("endDate"))]
    current = [w for w in current if _text(w.get("name")) or _text(w.get("company"))]
    if not current:
        return None
    return max(current, key=lambda w: _text(w.get("startDate")))


def person_jsonld(resume: dict, base_url: str = "") -> dict:
    """The schema.org `Person` of the document."""
    basics = resume.get("basics") if isinstance(resume.get("basics"), dict) else {}
    loc = basics.get("location") if isinstance(basics.get("location"), dict) else {}
    person: dict = {"@context": "https://schema.org", "@type": "Person"}
    person["name"] = _text(basics.get("name"))
    if label := _text(basics.get("label")):
        person["jobTitle"] = label
    if summary := _text(basics.get("summary")):
        person["description"] = _truncate(summary, 300)
    email = _text(basics.get("email"))
    if email and "@" in email:
        person["email"] = email
    if phone := _text(basics.get("phone")):
        person["telephone"] = phone
    if url := safe_url(basics.get("url") or basics.get("website")) or safe_url(base_url):
        person["url"] = url
    # Locality, region and country only: the page never shows a street or postal code.
    address = {
        key: _text(loc.get(src))
        for key, src in (
            ("addressLocality", "city"),
            ("addressRegion", "region"),
            ("addressCountry", "countryCode"),
        )
        if _text(loc.get(src))
    }
    if address:
        person["address"] = {"@type": "PostalAddress", **address}
    same_as = [safe_url(p.get("url")) for p in _items(basics, "profiles")]
    if same_as := [u for u in same_as if u.startswith("http")]:
        person["sameAs"] = same_as
    if job := _current_job(resume):
        org = {"@type": "Organization", "name": _text(job.get("name")) or _text(job.get("company"))}
        if org_url := safe_url(job.get("url") or job.get("website")):
            org["url"] = org_url
        person["worksFor"] = org
    schools = [_text(e.get("institution")) for e in _items(resume, "education")]
    if schools := list(dict.fromkeys(s for s in schools if s)):
        person["alumniOf"] = [{"@type": "EducationalOrganization", "name": s} for s in schools]
    languages = [_text(x.get("language")) for x in _items(resume, "languages")]
    if languages := [x for x in languages if x]:
        person["knowsLanguage"] = languages
    return person


def _initials(name: str) -> str:
    words = [w for w in re.split(r"[\s\-]+", name) if w and w[0].isalpha()]
    if not words:
        return ""
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def build_context(resume: dict, *, base_url: str = "", lang: str = "en") -> dict:
    """Everything a theme template needs, already cleaned; URLs pass `safe_url`."""
    resume = resume if isinstance(resume, dict) else {}
    L = _labels(lang)
    basics = resume.get("basics") if isinstance(resume.get("basics"), dict) else {}
    loc = basics.get("location") if isinstance(basics.get("location"), dict) else {}
    name = _text(basics.get("name")) or "Portfolio"
    label = _text(basics.get("label"))
    summary = _text(basics.get("summary"))
    email = _text(basics.get("email"))
    email_url = safe_url("mailto:" + email) if email and "@" in email else ""
    phone = _text(basics.get("phone"))
    website = safe_url(basics.get("url") or basics.get("website"))
    place = ", ".join(
        t
        for t in (_text(loc.get("city")), _text(loc.get("region")), _text(loc.get("countryCode")))
        if t
    )
    profiles = []
    for p in _items(basics, "profiles"):
        url = safe_url(p.get("url"))
        network = _text(p.get("network"))
        username = _text(p.get("username"))
        if url or username:
            profiles.append({"network": network or username, "username": username, "url": url})
    sections = _sections(resume, lang)
    description = _truncate(" — ".join(t for t in (label, summary) if t) or name)
    return {
        "lang": lang or "en",
        "L": L,
        "base_url": safe_url(base_url) if base_url else "",
        "name": name,
        "initials": _initials(name),
        "label": label,
        "summary": _paragraphs(summary),
        "email": email,
        "email_url": email_url,
        "phone": phone,
        "website": website,
        "website_text": re.sub(r"^https?://(www\.)?|/$", "", website),
        "place": place,
        "profiles": profiles,
        "description": description,
        "title": f"{name} — {label}" if label else name,
        "sections": sections,
        "main_sections": [s for s in sections if s["id"] not in SIDE_SECTIONS],
        "side_sections": [s for s in sections if s["id"] in SIDE_SECTIONS],
        # The JSON-LD is read by machines, not shown: it may say only what the page says.
        "jsonld": script_json(person_jsonld(public_document(resume), base_url)),
        "year": dt.date.today().year,
    }


# --------------------------------------------------------------------------- public document
# Everything served from a sandbox (resume.json, contact.vcf, the JSON-LD,
# site.zip) is made from this document, so a stranger learns nothing the page
# does not show: no street address or postal code, no references, no field no
# theme renders (basics.image, projects.type, a work description hidden by
# its summary, ...), no day of a date the page shows as "Mar 2020". Each
# helper mirrors what `build_context` and `_sections` put on the page; the
# tests render the page from both documents and compare them byte for byte.


def _compact(item: dict) -> dict:
    return {k: v for k, v in item.items() if v not in ("", [], {}, None)}


def _shown_text(value: object) -> str:
    """Long text as the page shows it: its paragraphs, one per line."""
    return "\n".join(_paragraphs(value))


def _shown_date(value: object) -> str:
    """A date to the precision `format_date` shows: year and month, never the day."""
    s = _text(value)
    m = _DATE.match(s)
    if not m:
        return s
    year, month = int(m.group(1)), int(m.group(2) or 0)
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else f"{year:04d}"


def _public_basics(basics: dict) -> dict:
    loc = basics.get("location") if isinstance(basics.get("location"), dict) else {}
    email = _text(basics.get("email"))
    shows_email = bool(email and "@" in email and safe_url("mailto:" + email))
    profiles = []
    for p in _items(basics, "profiles"):
        url, username = safe_url(p.get("url")), _text(p.get("username"))
        if url or username:
            profiles.append(
                _compact({"network": _text(p.get("network")), "username": username, "url": url})
            )
    return _compact(
        {
            "name": _text(basics.get("name")),
            "label": _text(basics.get("label")),
            "email": email if shows_email else "",
            "phone": _text(basics.get("phone")),
            "url": safe_url(basics.get("url") or basics.get("website")),
            "summary": _shown_text(basics.get("summary")),
            # The page shows the place (city, region, country), never where
            # the person lives: address and postalCode are not public.
            "location": _compact({k: _text(loc.get(k)) for k in ("city", "countryCode", "region")}),
            "profiles": profiles,
        }
    )


def _public_work(w: dict) -> dict:
    # The page shows the summary, or the description only when there is no summary.
    summary_key = "summary" if w.get("summary") else "description"
    return {
        "name": _text(w.get("name")) or _text(w.get("company")),
        "location": _text(w.get("location")),
        "position": _text(w.get("position")),
        "url": safe_url(w.get("url") or w.get("website")),
        "startDate": _shown_date(w.get("startDate")),
        "endDate": _shown_date(w.get("endDate")),
        summary_key: _shown_text(w.get(summary_key)),
        "highlights": _texts(w.get("highlights")),
    }


def _public_project(p: dict) -> dict:
    # The page shows the entity, or the roles only when there is no entity.
    entity = _text(p.get("entity"))
    return {
        "name": _text(p.get("name")),
        "description": _shown_text(p.get("description")),
        "highlights": _texts(p.get("highlights")),
        "keywords": _texts(p.get("keywords")),
        "startDate": _shown_date(p.get("startDate")),
        "endDate": _shown_date(p.get("endDate")),
        "url": safe_url(p.get("url")),
        "roles": [] if entity else _texts(p.get("roles")),
        "entity": entity,
    }


# section -> (how one entry is made public, the keys of which one must be
# non-empty for the page to show the entry at all), in JSON Resume's order.
_PUBLIC_SECTIONS = {
    "work": (_public_work, ("position", "name")),
    "volunteer": (
        lambda v: {
            "organization": _text(v.get("organization")),
            "position": _text(v.get("position")),
            "url": safe_url(v.get("url") or v.get("website")),
            "startDate": _shown_date(v.get("startDate")),
            "endDate": _shown_date(v.get("endDate")),
            "summary": _shown_text(v.get("summary")),
            "highlights": _texts(v.get("highlights")),
        },
        ("position", "organization"),
    ),
    "education": (
        lambda e: {
            "institution": _text(e.get("institution")),
            "url": safe_url(e.get("url")),
            "area": _text(e.get("area")),
            "studyType": _text(e.get("studyType")),
            "startDate": _shown_date(e.get("startDate")),
            "endDate": _shown_date(e.get("endDate")),
            "score": _text(e.get("score")),
            "courses": _texts(e.get("courses")),
        },
        ("studyType", "area", "institution"),
    ),
    "awards": (
        lambda a: {
            "title": _text(a.get("title")),
            "date": _shown_date(a.get("date")),
            "awarder": _text(a.get("awarder")),
            "summary": _shown_text(a.get("summary")),
        },
        ("title", "awarder"),
    ),
    "certificates": (
        lambda c: {
            "name": _text(c.get("name")),
            "date": _shown_date(c.get("date")),
            "url": safe_url(c.get("url")),
            "issuer": _text(c.get("issuer")),
        },
        ("name", "issuer"),
    ),
    "publications": (
        lambda p: {
            "name": _text(p.get("name")),
            "publisher": _text(p.get("publisher")),
            "releaseDate": _shown_date(p.get("releaseDate")),
            "url": safe_url(p.get("url")),
            "summary": _shown_text(p.get("summary")),
        },
        ("name", "publisher"),
    ),
    "skills": (
        lambda s: {
            "name": _text(s.get("name")),
            "level": _text(s.get("level")),
            "keywords": _texts(s.get("keywords")),
        },
        ("name",),
    ),
    "languages": (
        lambda x: {"language": _text(x.get("language")), "fluency": _text(x.get("fluency"))},
        ("language",),
    ),
    "interests": (
        lambda i: {"name": _text(i.get("name")), "keywords": _texts(i.get("keywords"))},
        ("name",),
    ),
    # "references" is shown by no theme, so it is never public.
    "projects": (_public_project, ("name", "entity", "roles")),
}


def public_document(resume: dict) -> dict:
    """The JSON Resume document reduced to exactly what the theme pages show."""
    resume = resume if isinstance(resume, dict) else {}
    basics = resume.get("basics") if isinstance(resume.get("basics"), dict) else {}
    out: dict = {}
    if public_basics := _public_basics(basics):
        out["basics"] = public_basics
    for section, (make, shown_if) in _PUBLIC_SECTIONS.items():
        entries = [_compact(make(item)) for item in _items(resume, section)]
        if entries := [e for e in entries if any(e.get(k) for k in shown_if)]:
            out[section] = entries
    return out


def resume_json(resume: dict) -> bytes:
    """A document as the `resume.json` file: UTF-8, indented, newline-terminated."""
    return (json.dumps(resume, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- files
def render_index(
    resume: dict,
    theme: str,
    *,
    base_url: str = "",
    lang: str = "en",
    stylesheet_href: str = "style.css",
) -> str:
    context = build_context(resume, base_url=base_url, lang=lang)
    context["stylesheet_href"] = stylesheet_href
    return render_to_string(get_theme(theme).template, context)


def render_preview(
    resume: dict, theme: str, *, lang: str = "en", stylesheet_href: str = "style.css"
) -> str:
    """`index.html` alone (as in the site; its stylesheet is `theme_stylesheet(theme)`)."""
    return render_index(resume, theme, lang=lang, stylesheet_href=stylesheet_href)


def _vcard_escape(value: str) -> str:
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return re.sub(r"\r\n|\r|\n", "\\\\n", value)


def _vcard_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 6350 3.2), never inside a UTF-8 character."""
    out, current, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > 75:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def render_vcard(resume: dict) -> str:
    """A vCard 3.0 of the person: FN, N, TITLE, EMAIL, TEL, URL, ADR, NOTE."""
    basics = resume.get("basics") if isinstance(resume.get("basics"), dict) else {}
    loc = basics.get("location") if isinstance(basics.get("location"), dict) else {}
    name = _text(basics.get("name"))
    parts = name.split()
    family, given = (parts[-1], " ".join(parts[:-1])) if len(parts) > 1 else (name, "")
    e = _vcard_escape
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{e(name)}", f"N:{e(family)};{e(given)};;;"]
    if label := _text(basics.get("label")):
        lines.append(f"TITLE:{e(label)}")
    email = _text(basics.get("email"))
    if email and "@" in email:
        lines.append(f"EMAIL;TYPE=INTERNET:{e(email)}")
    if phone := _text(basics.get("phone")):
        lines.append(f"TEL;TYPE=VOICE:{e(phone)}")
    urls = [safe_url(basics.get("url") or basics.get("website"))]
    urls += [safe_url(p.get("url")) for p in _items(basics, "profiles")]
    for url in dict.fromkeys(u for u in urls if u.startswith("http")):
        lines.append(f"URL:{_URL_JUNK.sub('', url)}")
    adr = [_text(loc.get(k)) for k in ("address", "city", "region", "postalCode", "countryCode")]
    if any(adr):
        street, city, region, postal, country = (e(a) for a in adr)
        lines.append(f"ADR;TYPE=WORK:;;{street};{city};{region};{postal};{country}")
    if summary := _text(basics.get("summary")):
        lines.append(f"NOTE:{e(summary)}")
    lines.append("END:VCARD")
    return "\r\n".join(_vcard_fold(line) for line in lines) + "\r\n"


def _zip(files: list[SiteFile]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            info = zipfile.ZipInfo(f.name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, f.content)
    return buf.getvalue()


def render_site(
    resume: dict, theme: str, *, base_url: str, slug: str, lang: str = "en"
) -> list[SiteFile]:
    """The files of the site, `site.zip` (a ZIP of all the others) last."""
    get_theme(theme)  # KeyError before any work for an unknown theme
    # Everything here is public: made from the public document only.
    public = public_document(resume)
    files = _site_files(public, public, theme, base_url=base_url, lang=lang)
    files.append(SiteFile("site.zip", _zip(files), CONTENT_TYPES["site.zip"]))
    return files


def _site_files(
    shown: dict, document: dict, theme: str, *, base_url: str, lang: str
) -> list[SiteFile]:
    """index.html and style.css of `shown`; resume.json and contact.vcf of `document`."""
    html = render_index(shown, theme, base_url=base_url, lang=lang)
    return [
        SiteFile("index.html", html.encode("utf-8"), CONTENT_TYPES["index.html"]),
        SiteFile("style.css", theme_stylesheet(theme), CONTENT_TYPES["style.css"]),
        SiteFile("resume.json", resume_json(document), CONTENT_TYPES["resume.json"]),
        SiteFile(
            "contact.vcf", render_vcard(document).encode("utf-8"), CONTENT_TYPES["contact.vcf"]
        ),
    ]


def render_owner_archive(
    resume: dict, theme: str, *, base_url: str, slug: str, lang: str = "en"
) -> bytes:
    """The owner's ZIP of the site (SPEC P-7): the same page, with the whole
    document as resume.json and a vCard with every contact field."""
    get_theme(theme)
    files = _site_files(public_document(resume), resume, theme, base_url=base_url, lang=lang)
    return _zip(files)


# --------------------------------------------------------------------------- quality gate
# Attributes that hold a URL the browser may follow or fetch.
URL_ATTRS = frozenset(
    {
        "href",
        "src",
        "srcset",
        "action",
        "formaction",
        "poster",
        "data",
        "background",
        "cite",
        "xlink:href",
        "ping",
        "manifest",
        "longdesc",
        "codebase",
        "archive",
        "icon",
        "lowsrc",
    }
)
FORBIDDEN_TAGS = frozenset(
    {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "portal"}
)
# <link rel> values that only name a page and fetch nothing.
NON_FETCHING_RELS = frozenset({"canonical", "me", "author"})


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[dict[str, str]] = []
        self.style_text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        self.tags.append((tag, a))
        if tag == "script":
            self.scripts.append(a)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style_text.append(data)


def _gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def weight(files: list[SiteFile]) -> int:
    """gzip(index.html) + gzip(style.css), in bytes: what the budget limits."""
    return sum(_gzip_size(f.content) for f in files if f.name in ("index.html", "style.css"))


def _check_url(url: str, *, tag: str, attr: str, rel: str, names: set[str]) -> str | None:
    """A problem with one URL of the page, or None."""
    raw = url
    url = _URL_JUNK.sub("", url)
    where = f"<{tag} {attr}>"
    if not url:
        return f"{where} is empty"
    if url.startswith("//") or url.startswith("\\"):
        return f"{where} points to another site without a scheme ({raw[:80]!r})"
    m = _SCHEME.match(url)
    if m:
        scheme = m.group(1).lower()
        if scheme not in ALLOWED_SCHEMES:
            return f"{where} uses a forbidden kind of link ({scheme}:)"
        if scheme == "mailto":
            return None if tag == "a" and attr == "href" else f"{where} uses a mailto: address"
        if tag == "a" and attr == "href":
            return None
        if tag == "link" and attr == "href" and rel and set(rel.split()) <= NON_FETCHING_RELS:
            return None
        return f"{where} loads something from another site ({raw[:80]!r})"
    path = url.split("#", 1)[0].split("?", 1)[0]
    if not path:  # a link within the page
        return None
    if path.startswith("./"):
        path = path[2:]
    if path not in names:
        return f"{where} links to {raw[:80]!r}, which is not a file of the site"
    return None


_CSS_URL_OPEN = re.compile(r"url\(\s*", re.IGNORECASE)
_CSS_URL_CLOSE = {q: re.compile(re.escape(q) + r"\s*\)") for q in ("'", '"', "")}
_CSS_IMPORT = re.compile(r"@import\b", re.IGNORECASE)


def _css_urls(css: str) -> list[str]:
    """What each url(...) of `css` names, read as `url\\(\\s*(['"]?)(.*?)\\1\\s*\\)`
    reads it, in linear time: that pattern scanned to the end from every
    "url(" left open (SPEC S-4). A closing mark missing after one point is
    missing after every later one, so each is searched for once, not per "url(".
    """
    targets: list[str] = []
    last: dict[str, tuple[int, re.Match | None]] = {}  # per mark: searched from, found
    pos = 0
    while opening := _CSS_URL_OPEN.search(css, pos):
        pos = opening.end()
        quote = css[pos : pos + 1] if css[pos : pos + 1] in ("'", '"') else ""
        for mark in dict.fromkeys((quote, "")):  # quoted first, then up to the first ")"
            body = pos + len(mark)
            since, close = last.get(mark, (-1, None))
            if not 0 <= since <= body or close is not None and close.start() < body:
                close = _CSS_URL_CLOSE[mark].search(css, body)
                last[mark] = (body, close)
            if close is not None:
                targets.append(css[body : close.start()])
                pos = close.end()
                break
    return targets


def _check_css(css: str, where: str, names: set[str]) -> list[str]:
    problems = []
    if _CSS_IMPORT.search(css):
        problems.append(f"{where} imports another stylesheet (@import)")
    for target in _css_urls(css):
        target = target.strip()
        if target.startswith("#") or target.split("?", 1)[0].lstrip("./") in names:
            continue
        problems.append(f"{where} loads {target[:80]!r}, which is not a file of the site")
    if re.search(r"expression\s*\(|javascript:|(?<![\w-])behaviou?r\s*:", css, re.IGNORECASE):
        problems.append(f"{where} contains script")
    return problems


def check_quality(files: list[SiteFile]) -> None:
    """Raise QualityError unless the site is fit to go live (SPEC P-6)."""
    problems: list[str] = []
    by_name = {f.name: f for f in files}
    names = set(by_name)
    index = by_name.get("index.html")
    html = ""
    if index is None:
        problems.append("the site has no index.html")
    else:
        try:
            html = index.content.decode("utf-8")
        except UnicodeDecodeError:
            problems.append("index.html is not UTF-8 text")
        if not html.strip():
            problems.append("index.html is empty")
        elif "<html" not in html.lower() or "<body" not in html.lower():
            problems.append("index.html is not a complete HTML page")

    if html.strip():
        scanner = _Scanner()
        try:
            scanner.feed(html)
            scanner.close()
        except Exception as exc:  # noqa: BLE001 - any parser failure is a problem to report
            problems.append(f"index.html could not be read ({exc})")
        for tag, attrs in scanner.tags:
            if tag in FORBIDDEN_TAGS:
                problems.append(f"index.html contains a <{tag}> element")
            if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
                problems.append("index.html redirects with <meta http-equiv=refresh>")
            for attr, value in attrs.items():
                if attr.startswith("on"):
                    problems.append(f"<{tag}> has an event handler ({attr}), which is script")
                elif attr == "style":
                    problems += _check_css(value, f"a style attribute of <{tag}>", names)
                elif attr in URL_ATTRS:
                    urls = [value]
                    if attr == "srcset":
                        urls = [c.strip().split()[0] for c in value.split(",") if c.strip()]
                    elif attr == "ping":
                        urls = value.split()
                    for url in urls:
                        if problem := _check_url(
                            url, tag=tag, attr=attr, rel=attrs.get("rel", "").lower(), names=names
                        ):
                            problems.append(problem)
        jsonld = [s for s in scanner.scripts if s.get("type", "").lower() == "application/ld+json"]
        others = len(scanner.scripts) - len(jsonld)
        if others:
            problems.append(
                f"index.html contains {others} <script> element(s); no JavaScript is allowed"
            )
        if len(jsonld) > 1:
            problems.append("index.html contains more than one JSON-LD block")
        for s in jsonld:
            if "src" in s:
                problems.append("the JSON-LD block loads an external file")
        for css in scanner.style_text:
            problems += _check_css(css, "a <style> element", names)

    css_file = by_name.get("style.css")
    if css_file is not None:
        problems += _check_css(css_file.content.decode("utf-8", "replace"), "style.css", names)

    budget = int(getattr(settings, "PORTFOLIO_WEIGHT_BUDGET_BYTES", DEFAULT_WEIGHT_BUDGET_BYTES))
    size = weight(files)
    if size >= budget:
        problems.append(
            f"the page is too heavy: {size / 1024:.1f} KB compressed (HTML and CSS), "
            f"the limit is {budget / 1024:.1f} KB"
        )
    if problems:
        raise QualityError(problems)
