"""The vCard 3.0 (`contact.vcf`) of a document (RFC 6350 folding and escaping)."""

from __future__ import annotations

import re

from .values import _URL_JUNK, _items, _text, safe_url


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
