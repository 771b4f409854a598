"""Secrets out of logs (SPEC S-2): one function that replaces them in a path,
a URL, a header value or any free text.

What it replaces, wherever it appears in the text:

- the segment after `/manage/` (the manage token) or `/confirm/` (an e-mail
  confirmation token) unless it is a plain word such as `edit` (the
  token-free pages keep their names);
- the signed value after `/keep-alive/`;
- the uid and token after `/reset/` (Django's password-reset link), except
  the words Django itself puts there (`sent`, `done`, `set-password`);
- every UUID: an anonymous job's id was the only key to its result, and a
  portfolio's id is an API handle; the audit log keeps them for staff;
- the value of a query or cookie parameter whose name looks like a secret
  (`token`, `key`, `sig`, `session`, ...), with or without the leading `?`;
- credentials after an authorization scheme (`Manage`, `Token`, `Bearer`)
  and API keys (`cv2w_...`).

Percent-encoded separators are decoded first, so a secret URL carried in
another URL's `next=` parameter is found too. Every pattern is linear: no
nested quantifiers, bounded repetitions where a match could start often.

Nothing here imports Django: gunicorn's master process uses it.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"
ID = "[id]"

# Only these escapes are decoded: they are what hides a path or a query in
# another URL, and none can turn into a line break inside a log line.
_ESCAPED = re.compile(r"%(2[fF]|3[fF]|3[dD]|26|3[bB]|25)")
_SEGMENT = r"[^/?#\s\"'<>]+"
# A route's name (edit, keep-alive, set-password, resume.json), as opposed to
# a token: random url-safe base64 of that shape does not occur in practice.
_WORD = re.compile(r"[a-z]+(?:[-.][a-z]+)*")
_MAX_WORD = 32

_CREDENTIAL = re.compile(r"(?i)\b(manage|token|bearer|basic)(\s+)[A-Za-z0-9._~+/=:-]{16,}")
_API_KEY = re.compile(r"\bcv2w_[A-Za-z0-9_-]{8,}")
_MANAGE = re.compile(rf"(/(?:manage|confirm)/+)({_SEGMENT})")
_KEEP_ALIVE = re.compile(rf"(/keep-alive/+)({_SEGMENT})")
_RESET = re.compile(rf"(/reset/+)({_SEGMENT})(?:(/+)({_SEGMENT}))?")
_PARAM = re.compile(r"(^|[?&;\s])([^=&?;#\s]{1,64})=([^&;#\s\"'<>]*)")
_SECRET_NAMES = (
    "token",
    "key",
    "secret",
    "sig",
    "pass",
    "pwd",
    "auth",
    "session",
    "code",
    "signed",
    "csrf",
    "uid",
    "otp",
    "jwt",
)
_UUID = re.compile(
    r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
    r"(?![0-9A-Fa-f])"
)


# Text none of the patterns can match: each needs a "/" (the paths), a "="
# (parameters), a "-" (UUIDs), whitespace (credentials) or "cv2w_" (API keys;
# "_" is left out here), and a "%" may hide any of them. Many values a log line
# carries (a method, an address, a status, the protocol) are such text; one
# scan costs less than the patterns' several, and each pattern below runs only
# on text with the character it needs (redact() is called on every access line).
_PLAIN = re.compile(r"[^/=\-%_\s]*")
_SPACE = re.compile(r"\s").search


def _is_word(segment: str) -> bool:
    return len(segment) <= _MAX_WORD and _WORD.fullmatch(segment) is not None


def _manage(match: re.Match) -> str:
    segment = match[2]
    return match[0] if _is_word(segment) else match[1] + REDACTED


def _reset(match: re.Match) -> str:
    uid, token = match[2], match[4]
    if _is_word(uid):  # /reset/sent/, /reset/done/
        return match[0]
    out = match[1] + REDACTED
    if token is not None:
        out += match[3] + (token if _is_word(token) else REDACTED)
    return out


def is_secret_name(name: str) -> bool:
    """Whether a parameter or variable called `name` likely holds a secret."""
    name = name.lower()
    return any(part in name for part in _SECRET_NAMES)


def _param(match: re.Match) -> str:
    if is_secret_name(match[2]):
        return f"{match[1]}{match[2]}={REDACTED}"
    return match[0]


def _unescape(text: str) -> str:
    for _ in range(3):  # %252F -> %2F -> /
        decoded = _ESCAPED.sub(lambda m: chr(int(m[1], 16)), text)
        if decoded == text:
            break
        text = decoded
    return text


def redact(text: str) -> str:
    """`text` with every secret it carries replaced by a placeholder."""
    if not text or _PLAIN.fullmatch(text):
        return text
    if "%" in text:
        text = _unescape(text)
    if _SPACE(text):
        text = _CREDENTIAL.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)
    if "cv2w_" in text:
        text = _API_KEY.sub(f"cv2w_{REDACTED}", text)
    if "/" in text:
        if "/manage/" in text or "/confirm/" in text:
            text = _MANAGE.sub(_manage, text)
        if "/keep-alive/" in text:
            text = _KEEP_ALIVE.sub(lambda m: m[1] + REDACTED, text)
        if "/reset/" in text:
            text = _RESET.sub(_reset, text)
    if "=" in text:
        text = _PARAM.sub(_param, text)
    if "-" in text:
        text = _UUID.sub(ID, text)
    return text


def redact_value(value: Any) -> Any:
    """`value` with `redact` applied to every string in it (dicts, lists, tuples, sets)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(redact_value(item) for item in value)
    return value
