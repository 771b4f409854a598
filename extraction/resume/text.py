"""Text of a document: trimmed, without control characters, capped."""

from __future__ import annotations

import re

from .limits import LONG_TEXT_MAX, SHORT_TEXT_MAX

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){2,}")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def clean_text(value: object, *, long: bool = False) -> str | None:
    """Trim, drop control characters and cap; one line unless `long`."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    cap = LONG_TEXT_MAX if long else SHORT_TEXT_MAX
    # Bounded before any pattern runs: text past 8x the cap could only be
    # kept if nearly all before it were spaces and control characters.
    value = value[: 8 * cap]
    s = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    s = _CONTROL.sub("", s)
    if long:
        s = "\n".join(_SPACES.sub(" ", line).strip() for line in s.split("\n"))
        s = _BLANK_LINES.sub("\n\n", s).strip()
    else:
        s = _SPACES.sub(" ", s.replace("\n", " ").replace("\t", " ")).strip()
    if len(s) > cap:
        s = s[:cap].rstrip()
    return s or None
