"""Reading values out of a document: text, lists, entries, paragraphs, and safe URLs."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

DESCRIPTION_MAX = 160
ALLOWED_SCHEMES = ("http", "https", "mailto")


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
