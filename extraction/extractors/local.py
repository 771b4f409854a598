"""The local extractor: rules only, no network, no model (SPEC E-3).

Text in (as the readers produce it), JSON Resume out. The rules live in
`local_rules/` by idea (text clean-up, dates, headings, contacts, sections);
this module puts them together:

1. clean the text into lines and mark the section each line falls in;
2. basics: name, label, email, phone, links and profiles, location, summary;
3. work and education entries, each anchored on a line with a date range,
   its title lines found on the same line or right around it;
4. skills and languages from their sections.

Every rule is general (words of headings, titles, degrees in several
languages; shapes of dates, phones and links); none names a person, company
or document.
"""

from __future__ import annotations

import re

from django.conf import settings

from extraction import resume

from . import Outcome, make_fingerprint
from .local_rules import contacts, sections
from .local_rules.headings import heading
from .local_rules.text import prepare, strip_html

# Bump whenever a rule change can change the output (it is part of the cache key).
RULES_VERSION = "1"

_CONTACT_LABELS = re.compile(
    r"(?i)\b(?:website|web|homepage|site|blog|email|e-mail|mail|phone|tel|telefon|teléfono|"
    r"téléphone|mobile|mobil|cell|linkedin|github|gitlab|twitter|x|portfolio|location|address)\b\s*:?"
)


class LocalExtractor:
    name = "local"

    def fingerprint(self) -> str:
        return make_fingerprint("local", RULES_VERSION, resume.SCHEMA_VERSION)

    def extract(self, text: str, *, deadline: float) -> Outcome:
        raw = extract_raw(text)
        doc, warnings = resume.clean(raw)
        return Outcome(resume=doc, extractor=self.name, warnings=warnings)


def extract_raw(text: str) -> dict:
    """The document before normalisation (resume.clean does that)."""
    limit = getattr(settings, "EXTRACTION_MAX_TEXT_CHARS", 100_000)
    lines = prepare((text or "")[:limit])
    segs = sections.segment(lines)
    name_i = _find_name(segs)
    if name_i is not None:
        segs[name_i].used = True
        for s in segs:
            if s.text == segs[name_i].text:
                s.used = True
    work, education = sections.entries(segs)
    doc: dict = {"basics": _basics(segs, name_i)}
    if work:
        doc["work"] = work
    if education:
        doc["education"] = education
    skills = sections.skills(segs)
    if skills:
        doc["skills"] = skills
    langs = sections.languages(segs)
    if langs:
        doc["languages"] = langs
    return doc


# --------------------------------------------------------------------------- basics
def _is_contact_line(text: str) -> bool:
    """A line made (almost) only of links, addresses, phone numbers and their labels."""
    rest = contacts.URL_RE.sub(" ", contacts.EMAIL_RE.sub(" ", text))
    rest = contacts.PHONE_RE.sub(" ", rest)
    if rest == text:
        return False
    rest = _CONTACT_LABELS.sub(" ", rest)
    rest = re.sub(r"[\s·|•,;:()@/\-–]+", " ", rest).strip()
    return len(rest) <= 25 and len(rest.split()) <= 3


def _find_name(segs: list[sections.Line]) -> int | None:
    """A repeated name-like line (two-column renders print it twice), else the
    first one at the top, else the nearest one before the email address."""
    texts = [s.text for s in segs]

    def name_ok(i: int) -> bool:
        t = texts[i]
        return (
            contacts.looks_like_name(t)
            and sections.title_score(t) == 0
            and sections.company_score(t) == 0
            and sections.institution_score(t) == 0
            and not heading(t)
            and contacts.parse_location(t) is None
        )

    for i in range(len(texts) - 1):
        if texts[i] == texts[i + 1] and name_ok(i):
            return i
    top = next((i for i in range(min(10, len(texts))) if name_ok(i)), None)
    if top is not None:
        return top
    email_line = next((i for i, t in enumerate(texts) if contacts.EMAIL_RE.search(t)), None)
    if email_line is not None:
        return next(
            (i for i in range(email_line, max(-1, email_line - 12), -1) if name_ok(i)), None
        )
    return None


def _basics(segs: list[sections.Line], name_i: int | None) -> dict:
    texts = [s.text for s in segs]
    top = set(range(min(12, len(segs))))
    for i, s in enumerate(segs):
        if s.section in (None, "contact", "profiles") and not s.used:
            top.add(i)
    contact_idx = [i for i, t in enumerate(texts) if _is_contact_line(t) and len(t) <= 160]
    basics: dict = {}

    emails = contacts.find_emails(texts)
    if emails:
        basics["email"] = emails[0]
    email_line = next((i for i, t in enumerate(texts) if emails and emails[0] in t), None)

    near = set(top)
    if email_line is not None:
        near.update(range(max(0, email_line - 6), min(len(segs), email_line + 7)))
    phone = contacts.find_phone([texts[i] for i in sorted(near)]) or contacts.find_phone(
        [texts[i] for i in contact_idx]
    )
    if phone:
        basics["phone"] = phone

    # Links: on contact lines, or short lines of the top area.
    url_lines = [texts[i] for i in sorted(set(contact_idx) | top) if len(texts[i]) <= 160]
    urls = contacts.find_urls(url_lines)
    email_hosts = {e.split("@", 1)[1].lower() for e in emails}
    profiles, site = [], None
    for u in urls:
        prof = contacts.profile_from_url(u)
        if prof:
            if all(p.get("url") != u for p in profiles):
                profiles.append(prof)
        elif site is None:
            host = re.sub(r"^https?://(www\.)?", "", u.lower()).split("/")[0]
            if host in email_hosts and "/" not in u[8:] and u.count(".") == 1 and False:
                continue
            site = u
    for prof in contacts.find_handle_profiles([texts[i] for i in sorted(near)]):
        if not any(p["network"] == prof["network"] for p in profiles):
            profiles.append(prof)
    if site:
        basics["url"] = site
    if profiles:
        basics["profiles"] = profiles

    if name_i is not None:
        basics["name"] = texts[name_i]
        j = name_i + 1
        while j < len(texts) and texts[j] == texts[name_i]:
            j += 1
        if j < len(texts) and sections.header_like(texts[j]) and not _is_contact_line(texts[j]):
            label = texts[j]
            if j + 1 < len(texts) and label.endswith(("|", "-", "bei", "at", "en")):
                label = label + " " + texts[j + 1]
            basics["label"] = label.strip(" |")

    # Location: the first "City, Country" line among the contact lines.
    loc_idx = sorted(near | set(contact_idx))
    for i in loc_idx:
        t = re.sub(r"\s{2,}.*$", "", texts[i])
        loc = contacts.parse_location(texts[i]) or contacts.parse_location(t)
        if loc and not segs[i].used:
            basics["location"] = loc
            break

    summary = [strip_html(s.text) for s in segs if s.section == "summary" and not s.used]
    if summary:
        text = " ".join(summary)
        basics["summary"] = re.sub(r"\s+", " ", text)[:3000]
    return basics
