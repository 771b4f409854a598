"""Input clean-up shared by the rules."""

from __future__ import annotations

import re
import unicodedata

_DROP = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2060\ufeff"
    r"\ue000-\uf8ff\U000f0000-\U0010ffff\ufffd]"
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BULLET = re.compile(r"^[\s•·▪◦●○■□►▸‣\-–—*>]+\s*")
_COLUMN_GAP = re.compile(r"[ \u00a0]{3,}|\t+")
_CELL_GAP = re.compile(r"[ \u00a0]{2,}|\t+")
_HTML_TAG = re.compile(r"</?(?:strong|b|i|em|u|br|p|span|a)\b[^>]*>", re.IGNORECASE)


def prepare(text: str) -> list[str]:
    """Return the document's non-empty lines, cleaned and NFKC-normalised.

    NFKC folds the compatibility forms PDF renderers produce (CJK radicals,
    full-width letters, ligatures); icon glyphs of private-use areas, NULs and
    other control characters are removed.
    """
    return prepare_cells(text)[0]


def prepare_cells(text: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """`prepare`'s lines, and beside each the runs it is made of: the parts
    of the raw line kept apart by a wide gap (two or more spaces, or a tab, as
    the PDF reader writes separate runs of one row: "SDLC  Threat Modeling")."""
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _DROP.sub("", text)
    raw_lines = text.split("\n")
    # Plain text laid out in columns (as `pdftotext -layout` writes it): runs
    # of three or more spaces inside a line separate cells; each is a line.
    gapped = sum(1 for raw in raw_lines if _COLUMN_GAP.search(raw.strip()))
    split_cells = gapped >= 3 and gapped * 20 >= len(raw_lines)
    lines: list[str] = []
    runs: list[tuple[str, ...]] = []
    for raw in raw_lines:
        cells = _COLUMN_GAP.split(raw.strip()) if split_cells else [raw]
        for cell in cells:
            line = _SPACES.sub(" ", cell).strip()
            if line:
                lines.append(line)
                parts = (_SPACES.sub(" ", p).strip() for p in _CELL_GAP.split(cell.strip()))
                runs.append(tuple(p for p in parts if p))
    return lines, runs


def strip_bullet(line: str) -> str:
    return _BULLET.sub("", line).strip()


def strip_html(line: str) -> str:
    return _HTML_TAG.sub("", line)


def squash(line: str) -> str:
    """Lower-case without spaces or punctuation: "W ORK  E XPERIENCE" -> "workexperience"."""
    return re.sub(r"[\s:：.·|/&_\-–—]+", "", line).casefold()


def has_cjk(s: str) -> bool:
    return any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in s)
