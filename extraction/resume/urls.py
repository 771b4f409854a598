"""Links and email addresses of a document: only http, https and mailto survive."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

from .limits import EMAIL_MAX, URL_INPUT_MAX, URL_MAX
from .text import clean_text

_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_BARE_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}\.?(?::\d{1,5})?(?:[/?#].*)?", re.IGNORECASE
)
# What an address may not contain (besides its one "@").
_NOT_IN_EMAIL = re.compile(r"[@\s<>()\[\],;:\"]")
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def is_email(value: str) -> bool:
    """`local@domain.tld`: one "@", a dot inside the domain, no spaces, brackets,
    quotes or separators, at most EMAIL_MAX characters.

    String operations, not a pattern: the regex this replaces
    (`[^@]+@[^@]+\\.[^@]+`, its two domain runs overlapping on ".") took
    quadratic time on "a@" followed by a run of dots.
    """
    if len(value) > EMAIL_MAX:
        return False
    local, at, domain = value.partition("@")
    return bool(
        local
        and at
        and "." in domain[1:-1]
        and not _NOT_IN_EMAIL.search(local)
        and not _NOT_IN_EMAIL.search(domain)
    )


def clean_url(value: object) -> tuple[str | None, str | None]:
    """Return (url, problem). Only http, https and mailto survive.

    A bare "www.x.com" or "github.com/x" gets "https://". Whitespace and
    control characters anywhere are removed first (browsers ignore them, so
    " java\\tscript:" must be caught as javascript:).
    """
    if not isinstance(value, str):
        return None, None if value is None else "not text"
    if len(value) > URL_INPUT_MAX:
        return None, "too long"
    s = unicodedata.normalize("NFKC", value)
    # Like a browser's URL parser: tabs, newlines and controls anywhere vanish.
    s = re.sub(r"[\x00-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]+", "", s).strip()
    if not s:
        return None, None
    if len(s) > URL_MAX:  # quoting below only lengthens it: refused before any pattern runs
        return None, "too long"
    if s.startswith("//"):
        s = "https:" + s
    m = _SCHEME.match(s)
    if m and not re.match(r"[^/]*:\d{1,5}(?:[/?#]|$)", s):
        scheme = m.group(1).lower()
        rest = s[m.end() :]
        if scheme in ("http", "https"):
            try:
                host = urlsplit(scheme + ":" + rest).hostname
            except ValueError:
                host = None
            if not host or not rest.startswith("//"):
                return None, "no host"
            s = scheme + ":" + rest
        elif scheme == "mailto":
            if not is_email(rest.split("?", 1)[0]):
                return None, "not an email address"
            s = "mailto:" + rest
        else:
            return None, f"scheme {scheme!r} is not allowed"
    elif is_email(s):
        s = "mailto:" + s
    elif _BARE_HOST.fullmatch(s):
        s = "https://" + s
    else:
        return None, "not a web address"
    s = quote(s, safe=_URL_SAFE)
    if len(s) > URL_MAX:
        return None, "too long"
    return s, None


def clean_email(value: object) -> str | None:
    s = clean_text(value)
    if not s:
        return None
    s = s.strip("<>").strip()
    if s.lower().startswith("mailto:"):
        s = s[7:]
    s = s.split("?", 1)[0]
    return s if is_email(s) else None
