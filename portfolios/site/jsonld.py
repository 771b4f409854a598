"""The schema.org `Person` of a document, and JSON safe inside a <script> element."""

from __future__ import annotations

import json

from django.utils.safestring import mark_safe

from .public import SHOW_ALL, Privacy
from .values import _items, _text, _truncate, safe_url

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


def person_jsonld(resume: dict, base_url: str = "", privacy: Privacy = SHOW_ALL) -> dict:
    """The schema.org `Person` of the document (give it the public document)."""
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
    # A street or postal code only when the person chose to show it (and then
    # the page shows it too), whatever document this is given.
    parts = [("addressLocality", "city"), ("addressRegion", "region")] if privacy.city else []
    if privacy.address:
        parts[:0] = [("streetAddress", "address"), ("postalCode", "postalCode")]
    address = {
        key: _text(loc.get(src))
        for key, src in (*parts, ("addressCountry", "countryCode"))
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
