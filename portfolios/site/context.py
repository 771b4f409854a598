"""The view model: everything a theme template needs, cleaned, from a document."""

from __future__ import annotations

import datetime as dt
import re

from .jsonld import person_jsonld, script_json
from .labels import date_range, format_date, labels, site_language
from .public import SHOW_ALL, Privacy, public_document, shown_location
from .values import _items, _paragraphs, _text, _texts, _truncate, safe_url


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
    title_parts: list[str] | None = None,
) -> dict:
    org_url, url = safe_url(org_url), safe_url(url)
    if not title:
        title, org, url, org_url = org, "", url or org_url, ""
    return {
        "title": title,
        "title_parts": title_parts if title_parts and len(title_parts) > 1 else [],
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


def _degree(e: dict) -> list[str]:
    """A degree's kind and field ("BSc", "Physics"), those given. The page
    joins them with a comma; on paper they stand on lines of their own."""
    return [t for t in (_text(e.get("studyType")), _text(e.get("area"))) if t]


def _sections(resume: dict, lang: str, *, references: bool = False) -> list[dict]:
    L = labels(lang)
    out: list[dict] = []

    def add(key: str, kind: str, items: list[dict]) -> None:
        items = [i for i in items if i.get("title") or i.get("name") or i.get("text")]
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
                title=", ".join(_degree(e)),
                title_parts=_degree(e),
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
    if references:
        # Third-party words, shown only when the person ticked them
        # (Privacy.references; public_document keeps the same entries).
        add(
            "references",
            "quotes",
            [
                {"name": _text(r.get("name")), "text": _paragraphs(r.get("reference"))}
                for r in _items(resume, "references")
            ],
        )
    return out


SIDE_SECTIONS = ("skills", "languages", "interests")


def _initials(name: str) -> str:
    words = [w for w in re.split(r"[\s\-]+", name) if w and w[0].isalpha()]
    if not words:
        return ""
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def build_context(
    resume: dict, *, base_url: str = "", lang: str = "en", privacy: Privacy = SHOW_ALL
) -> dict:
    """Everything a theme template needs, already cleaned; URLs pass `safe_url`.
    What the person chose to hide (`privacy`) is not in it."""
    resume = resume if isinstance(resume, dict) else {}
    L = labels(lang)
    basics = resume.get("basics") if isinstance(resume.get("basics"), dict) else {}
    loc = basics.get("location") if isinstance(basics.get("location"), dict) else {}
    name = _text(basics.get("name")) or "Portfolio"
    label = _text(basics.get("label"))
    summary = _text(basics.get("summary"))
    email = _text(basics.get("email")) if privacy.email else ""
    email_url = safe_url("mailto:" + email) if email and "@" in email else ""
    phone = _text(basics.get("phone")) if privacy.phone else ""
    website = safe_url(basics.get("url") or basics.get("website"))
    shown_loc = shown_location(loc, privacy)
    place = ", ".join(
        t
        for t in (
            _text(shown_loc.get("address")),
            " ".join(t for t in (shown_loc.get("postalCode"), shown_loc.get("city")) if t),
            _text(shown_loc.get("region")),
            _text(shown_loc.get("countryCode")),
        )
        if t
    )
    profiles = []
    for p in _items(basics, "profiles"):
        url = safe_url(p.get("url"))
        network = _text(p.get("network"))
        username = _text(p.get("username"))
        if url or username:
            profiles.append({"network": network or username, "username": username, "url": url})
    sections = _sections(resume, lang, references=privacy.references)
    description = _truncate(" — ".join(t for t in (label, summary) if t) or name)
    return {
        "lang": site_language(lang),
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
        "jsonld": script_json(person_jsonld(public_document(resume, privacy), base_url, privacy)),
        # The person's choice: search engines are asked not to index the page.
        "noindex": not privacy.index,
        "year": dt.date.today().year,
    }
