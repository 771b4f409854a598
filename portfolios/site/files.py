"""The files of a site as bytes: `SiteFile`, `resume.json` and the ZIP of them."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

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


def for_themes(resume: dict) -> dict:
    """`resume` with `basics.location` and `basics.profiles` always there ({} and []
    when empty): popular third-party themes read them without checking
    (docs/json-resume.md, Third-party themes)."""
    basics = resume.get("basics")
    if not isinstance(basics, dict):
        return resume
    basics = dict(basics)
    basics.setdefault("location", {})
    basics.setdefault("profiles", [])
    return {**resume, "basics": basics}


def resume_json(resume: dict) -> bytes:
    """A document as the `resume.json` file: UTF-8, indented, newline-terminated."""
    doc = for_themes(resume)
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _zip(files: list[SiteFile]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            info = zipfile.ZipInfo(f.name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, f.content)
    return buf.getvalue()
