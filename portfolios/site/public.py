"""The public document: a JSON Resume document reduced to what the page shows."""

from __future__ import annotations

from dataclasses import dataclass

from extraction.resume import BASICS, LOCATION, PROFILE, SECTIONS

from .labels import _DATE
from .values import _items, _paragraphs, _text, _texts, safe_url

# Everything served from a sandbox (resume.json, contact.vcf, the JSON-LD,
# site.zip) is made from this document, so a stranger learns nothing the page
# does not show: no street address or postal code, no references (unless the
# person ticked them: then the page shows them too), no field no
# theme renders (basics.image, projects.type, a work description hidden by
# its summary, ...), no day of a date the page shows as "Mar 2020". Each
# helper mirrors what `build_context` and `_sections` put on the page; the
# tests render the page from both documents and compare them byte for byte.


@dataclass(frozen=True)
class Privacy:
    """What the person chose to show (issue 15 point 5). The defaults are what
    a site showed before the choice existed: e-mail, phone and city shown, the
    street address never, search engines allowed."""

    email: bool = True
    phone: bool = True
    city: bool = True
    # The street and postal code (basics.location.address, postalCode).
    address: bool = False
    index: bool = True
    # `references`: third-party data (a referee's name and words), public only
    # when the person ticks "show my references" (issue 16 point 2).
    references: bool = False


SHOW_ALL = Privacy()


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


def shown_location(loc: dict, privacy: Privacy) -> dict:
    """The parts of basics.location the page shows, under their JSON Resume keys."""
    keys = ["countryCode"]
    if privacy.city:
        keys[:0] = ["city", "region"]
    if privacy.address:
        keys[:0] = ["address", "postalCode"]
    return _compact({k: _text(loc.get(k)) for k in keys})


def _public_basics(basics: dict, privacy: Privacy) -> dict:
    loc = basics.get("location") if isinstance(basics.get("location"), dict) else {}
    email = _text(basics.get("email")) if privacy.email else ""
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
            "phone": _text(basics.get("phone")) if privacy.phone else "",
            "url": safe_url(basics.get("url") or basics.get("website")),
            "summary": _shown_text(basics.get("summary")),
            # The page shows the place (city, region, country); where the
            # person lives (address, postalCode) only when they chose so.
            "location": shown_location(loc, privacy),
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
    "projects": (_public_project, ("name", "entity", "roles")),
}

# References: shown (and so public) only under `Privacy.references`.
_PUBLIC_REFERENCES = (
    lambda r: {"name": _text(r.get("name")), "reference": _shown_text(r.get("reference"))},
    ("name", "reference"),
)


def extension_fields(resume: dict) -> list[str]:
    """Paths of the keys the JSON Resume schema does not name (`basics.x-pronouns`,
    `work[0].x-team`, a section of another tool): kept in the owner's copy, never
    shown nor public, since no page knows what they hold. `$schema` and `meta`
    are the schema's own: kept in the owner's copy too, not named here."""
    out: list[str] = []
    resume = resume if isinstance(resume, dict) else {}
    for key, value in resume.items():
        if key in ("$schema", "meta"):
            continue
        if key == "basics" and isinstance(value, dict):
            for k, v in value.items():
                if k == "location" and isinstance(v, dict):
                    out += [f"basics.location.{x}" for x in v if x not in LOCATION]
                elif k == "profiles" and isinstance(v, list):
                    for i, p in enumerate(v):
                        if isinstance(p, dict):
                            out += [f"basics.profiles[{i}].{x}" for x in p if x not in PROFILE]
                elif k not in BASICS and k not in ("location", "profiles"):
                    out.append(f"basics.{k}")
        elif key in SECTIONS and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    out += [f"{key}[{i}].{x}" for x in item if x not in SECTIONS[key]]
        elif key != "basics":
            out.append(str(key))
    return out


def public_document(resume: dict, privacy: Privacy = SHOW_ALL) -> dict:
    """The JSON Resume document reduced to exactly what the theme pages show,
    under the person's `privacy` choices. The one place that decides what is
    public: the page, the JSON-LD, the vCard, resume.json and the ZIP are all
    made from what this returns."""
    resume = resume if isinstance(resume, dict) else {}
    basics = resume.get("basics") if isinstance(resume.get("basics"), dict) else {}
    out: dict = {}
    if public_basics := _public_basics(basics, privacy):
        out["basics"] = public_basics
    sections = dict(_PUBLIC_SECTIONS)
    if privacy.references:
        sections["references"] = _PUBLIC_REFERENCES
    for section, (make, shown_if) in sections.items():
        entries = [_compact(make(item)) for item in _items(resume, section)]
        if entries := [e for e in entries if any(e.get(k) for k in shown_if)]:
            out[section] = entries
    return out
