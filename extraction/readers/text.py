"""Text: decoding a text file's bytes, and the finishing every reader's text gets
(newlines, control characters, compatibility forms, the length cap).
"""

from __future__ import annotations

import re
import unicodedata

from ..errors import BadFile
from .kinds import ReadResult, _Limits, _no_text_layer

_BOM_UTF8 = b"\xef\xbb\xbf"
_BOM_UTF16 = (b"\xff\xfe", b"\xfe\xff")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def decode_text(data: bytes) -> str | None:
    """The text of `data` if it is a text file, else None.

    UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 / Latin-1
    (the Latin-1 fallback; Windows-1252 first, as browsers do, so that
    typographic quotes survive). Refused: NUL characters, or more than 1% of
    other control characters.
    """
    text: str | None
    if data.startswith(_BOM_UTF8):
        text = _try_decode(data[3:], "utf-8")
    elif data[:2] in _BOM_UTF16:
        text = _try_decode(data, "utf-16")
    else:
        text = _try_decode(data, "utf-8")
        if text is None:
            text = _try_decode(data, "cp1252")
        if text is None:
            text = data.decode("latin-1")
    if text is None or "\x00" in text:
        return None
    if len(_CONTROL_CHARS.findall(text)) > len(text) * 0.01:
        return None
    return text


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_DROP_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ufeff\ufffe]")
_TRAILING_SPACE = " \t\u00a0"
_BLANK_LINES = re.compile(r"\n{3,}")
# Characters PDF fonts often produce instead of the plain ones: ligatures
# (ﬁ), Kangxi radicals instead of CJK ideographs, exotic spaces.
_COMPATIBILITY = re.compile(r"[\ufb00-\ufb06\u2e80-\u2fdf\u00a0\u2000-\u200a\u202f\u205f\u3000]")


def normalise_text(text: str) -> str:
    """Newlines to \\n, control characters dropped, NFC, trailing spaces and runs
    of blank lines removed; ligatures and CJK radicals replaced (NFKC for those
    characters only)."""
    text = _NEWLINES.sub("\n", text)
    text = _DROP_CHARS.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _COMPATIBILITY.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    # str.rstrip per line, not `[ \t]+$`: that pattern scanned a run of spaces
    # from each of its positions, quadratic on a long run inside a line.
    text = "\n".join(line.rstrip(_TRAILING_SPACE) for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip("\n ")


def _finish(
    text: str, kind: str, pages: int | None, warnings: list[str], limits: _Limits
) -> ReadResult:
    text = normalise_text(text)
    if not text.strip():
        if kind == "pdf":
            raise _no_text_layer()
        raise BadFile("empty_document", "This document contains no text.")
    truncated = False
    limit = limits.max_text_chars
    if len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut < limit * 0.9:
            cut = limit
        text = text[:cut].rstrip()
        truncated = True
        warnings = [
            *warnings,
            f"This document is very long: only its first {limit:,} characters were read.",
        ]
    return ReadResult(text=text, kind=kind, pages=pages, warnings=warnings, truncated=truncated)
