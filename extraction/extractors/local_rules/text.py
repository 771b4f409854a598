"""Input clean-up shared by the rules."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from extraction.resume import MONTHS, PRESENT_PHRASES, PRESENT_WORDS

_DROP = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2060\ufeff"
    r"\ue000-\uf8ff\U000f0000-\U0010ffff\ufffd]"
)
# An icon glyph (private-use area) with the spaces around it: it stands
# between two runs of a row ("jane@example.org  <phone icon> +1 555 0100"), so
# it leaves the two spaces that separate runs, never a column's wide gap.
_ICON = re.compile(r"[ \u00a0]*[\ue000-\uf8ff\U000f0000-\U0010ffff]+[ \u00a0]*")
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


# A duration printed right after a year with no space between them, as word
# processors join two spans: "Apr, 20223 years 1 month" -> "Apr, 2022 3 years 1 month".
_GLUED_DURATION = re.compile(
    r"(?<!\d)((?:19|20)\d{2})(\d{1,2}\s*(?:years?|yrs?|months?|mos?|jahre?n?|monate?n?|años?|"
    r"meses|ans?|mois|anni|mesi|anos?|jaar|maanden|lat|miesięcy|лет|года?|месяц\w*|年|个月|ヶ月)"
    r"(?![^\W\d_]))",
    re.IGNORECASE,
)


def prepare_cells(text: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """`prepare`'s lines, and beside each the runs it is made of: the parts
    of the raw line kept apart by a wide gap (two or more spaces, or a tab, as
    the PDF reader writes separate runs of one row: "SDLC  Threat Modeling")."""
    lines, runs, _ = prepare_layout(text)
    return lines, runs


def prepare_layout(text: str) -> tuple[list[str], list[tuple[str, ...]], list[bool]]:
    """`prepare_cells`, and beside each line whether it was indented by a tab:
    word processors indent the items of a list under its (unindented) name."""
    lines, runs, indented, _ = prepare_layout_gaps(text)
    return lines, runs, indented


def prepare_layout_gaps(
    text: str,
) -> tuple[list[str], list[tuple[str, ...]], list[bool], list[bool]]:
    """`prepare_layout`, and beside each line whether a blank line stood right
    above it: plain text (typed, or `pdftotext -layout`) leaves a blank line
    between blocks, so a blank line is where one entry ends and the next
    begins. Marked only where blank lines stand throughout the text: the PDF
    reader's stray blank line (a page's end) ends no block, and neither does
    a blank row of a layout read in cells (spacing under a large title)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _GLUED_DURATION.sub(r"\1 \2", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _DROP.sub("", _ICON.sub("  ", text))
    raw_lines = text.split("\n")
    # Plain text laid out in columns (as `pdftotext -layout` writes it): runs
    # of three or more spaces inside a line separate cells; each is a line.
    gapped = sum(1 for raw in raw_lines if _COLUMN_GAP.search(raw.strip()))
    split_cells = gapped >= 3 and gapped * 20 >= len(raw_lines)
    cells: list[tuple[str, bool, bool]]
    if split_cells:
        # a layout's blank rows are spacing (a large title, a page's end), no
        # sure end of a block: not marked
        cells = [(cell, False, False) for cell in layout_cells(raw_lines)]
    else:
        cells = []
        blank = False
        for raw in raw_lines:
            cells.append((raw, raw.startswith("\t"), blank))
            blank = not _SPACES.sub("", raw)
    lines: list[str] = []
    runs: list[tuple[str, ...]] = []
    indented: list[bool] = []
    gaps: list[bool] = []
    for cell, tab, gap in cells:
        line = _SPACES.sub(" ", unspace(cell)).strip()
        if line and lines and _stacked_dates(lines[-1], line):
            # "2012" / "2015": a range's start and end, each on a line of its own
            lines[-1] = f"{lines[-1]} – {line}"
            runs[-1] = runs[-1][:-1] + (lines[-1],) if runs[-1] else (lines[-1],)
            continue
        if line and lines and _wrapped_date(lines[-1], line):
            # "Sep 2014 – Aug" / "2015", "January 2012 -" / "January 2018",
            # "September" / "2006 – June": a date range wrapped in a narrow column
            lines[-1] = f"{lines[-1]} {line}"
            runs[-1] = runs[-1][:-1] + (f"{runs[-1][-1]} {line}",) if runs[-1] else (lines[-1],)
            continue
        if line:
            lines.append(line)
            parts = (_SPACES.sub(" ", p).strip() for p in _CELL_GAP.split(cell.strip()))
            runs.append(tuple(p for p in parts if p))
            indented.append(tab)
            gaps.append(gap and len(lines) > 1)
    if sum(gaps) < _MIN_BLOCKS or sum(gaps) * _BLOCK_LINES < len(lines):
        gaps = [False] * len(lines)  # a stray blank line (a page break) ends no block
    return lines, runs, indented, gaps


# Blank lines mark blocks where a text has them throughout: at least this many,
# and one for every so many lines.
_MIN_BLOCKS = 4
_BLOCK_LINES = 12


_YEAR_ONLY = re.compile(r"(?:19|20)\d\d")
_MONTH_WORD = re.compile(r"[^\W\d_]{3,10}\.?")
# A range's start left open at the end of a line: "January 2012 -"
_OPEN_DASH = re.compile(r"(?:19|20)\d\d\s*[–—-]$")
# A line that is a date and nothing else: "January 2018", "2018", "06/2018"
_DATE_LINE = re.compile(
    r"(?:[^\W\d_]{3,10}\.?\s+)?(?:\d{1,2}[/.])?(?:19|20)\d\d(?:\s*[–—-]\s*(?:[^\W\d_]{3,10}\.?)?)?"
)


# Letter-spaced type ("A L E X  B O Y D", small caps and headings spaced out by
# their stylesheet): one letter, one space, ...; words apart by two spaces or more.
_SPACED_WORD = re.compile(r"(?:[^\W\d_] )+[^\W\d_]")
_WORD_GAP = re.compile(r"[ \u00a0]{2,}")


def unspace(cell: str) -> str:
    """ "S E N I O R  E N G I N E E R" -> "SENIOR ENGINEER": each letter-spaced
    word of three letters or more is written as a word; a lone letter between
    two of them ("A L E X  J  B O Y D") too. Nothing else changes."""
    chunks = _WORD_GAP.split(cell.strip())
    spaced = [len(c) >= 5 and _SPACED_WORD.fullmatch(c) is not None for c in chunks]
    if not any(spaced):
        return cell
    out = []
    for k, c in enumerate(chunks):
        lone = len(c) == 1 and c.isalpha() and any(spaced[max(0, k - 1) : k + 2])
        out.append(c.replace(" ", "") if spaced[k] or lone else c)
    return "  ".join(out)


# A date alone on its line, with no dash: "2018", "June 2018", "06/2018"
_LONE_DATE = re.compile(r"(?:[^\W\d_]{3,10}\.?\s+)?(?:\d{1,2}[/.])?((?:19|20)\d\d)")


def _stacked_dates(prev: str, line: str) -> bool:
    """ "2012" / "2015", "Sep 2019" / "Present": two lines that are each one
    date, the later one second, are a range printed as a column of two. (A
    column of dates one per entry runs from the latest down, and a date
    read as a month must be one.)"""
    a = _LONE_DATE.fullmatch(prev)
    if a is None or not _month_or_none(prev):
        return False
    if line.casefold().rstrip(".") in _PRESENT:
        return True
    b = _LONE_DATE.fullmatch(line)
    return b is not None and _month_or_none(line) and int(b.group(1)) >= int(a.group(1))


def _month_or_none(text: str) -> bool:
    word = text.split()[0] if " " in text else ""
    return not word or _is_month(word)


def _wrapped_date(prev: str, line: str) -> bool:
    """Whether `line` continues a date range that `prev` began."""
    if _YEAR_ONLY.fullmatch(line) and _OPEN_RANGE_END.search(prev):
        return True  # "Sep 2014 – Aug" / "2015"
    if (
        _OPEN_DASH.search(prev)
        and len(prev) <= 40
        and (_DATE_LINE.fullmatch(line) or line.casefold().rstrip(".") in _PRESENT)
    ):
        return True  # "January 2012 -" / "January 2018", "Jun 2016 –" / "Present"
    # "September" / "2006 – June": a month alone above a line opening with a year
    return bool(
        _MONTH_WORD.fullmatch(prev)
        and _DATE_LINE.fullmatch(line)
        and line[:1].isdigit()
        and _is_month(prev)
    )


# "Present" in every language the dates know, alone on a line
_PRESENT = frozenset(w.casefold() for w in PRESENT_WORDS | PRESENT_PHRASES)
# A line ending in "<month> <year> – <month>": the range's end year wrapped to the next line.
_OPEN_RANGE_END = re.compile(r"(?:19|20)\d\d\s*[–—-]\s*[^\W\d_]{3,10}\.?$")
_CELL = re.compile(r"\S+(?:(?: {1,2}|\u00a0)\S+)*")
_SAME_COLUMN = 2  # characters a column's cells may drift left or right


def layout_cells(raw_lines: list[str]) -> list[str]:
    """The cells of text laid out in columns (`pdftotext -layout`), in reading
    order. A cell is a run of text kept apart from the rest of its line by
    three or more spaces; cells standing right under each other at the same
    column form a block (a paragraph of one column), and blocks are read top
    to bottom, blocks starting on the same line left to right. So two columns
    side by side are read one after the other, each from its top, as the PDF
    reader orders the blocks of a page; a page laid out in two independent
    columns (`split_text_columns`) is read a column at a time."""
    raw_lines = split_text_columns([raw.expandtabs(8) for raw in raw_lines])
    blocks: list[dict] = []
    rows: list[list[tuple[dict, int]]] = []  # per line: (block, index of the cell in it)
    open_blocks: dict[int, dict] = {}  # block by the column of its last cell, on the last line
    for y, raw in enumerate(raw_lines):
        still_open: dict[int, dict] = {}
        row = []
        for m in _CELL.finditer(raw):
            x = m.start()
            # the leftmost open block within reach, looked up by column: a scan
            # of every open block per cell was quadratic on a line of many cells
            block = next(
                (
                    open_blocks[bx]
                    for bx in range(x - _SAME_COLUMN, x + _SAME_COLUMN + 1)
                    if bx in open_blocks
                ),
                None,
            )
            if block is None:
                block = {"top": y, "x": x, "cells": []}
                blocks.append(block)
            row.append((block, len(block["cells"])))
            block["cells"].append(m.group())
            still_open[x] = block
        rows.append(row)
        open_blocks = still_open
    # A row of two cells whose right one stands alone (no cell above or below
    # it: a date or a link beside the first line of a wrapped title) is one
    # line of two runs, as the PDF reader writes a row.
    for row in rows:
        if len(row) == 2 and len(row[1][0]["cells"]) == 1:
            (left, i), (right, _) = row
            left["cells"][i] += "  " + right["cells"].pop()
    blocks.sort(key=lambda b: (b["top"], b["x"]))
    return [cell for b in blocks for cell in b["cells"]]


def unbracketed(s: str, ends: str = " ,;:|·•-–—") -> str:
    """`s` without `ends` at either end, nor a bracket at an end that nothing
    in `s` pairs with: what is left of "(2019 - 2021)" once the range is gone,
    or of "(https://...)" once the address is; a bracket the rest of the text
    closes or opens stays ("Royal Institute (KTH)", "(Part-time) Engineer").
    Linear in `s`: the brackets are counted once."""
    s = re.sub(r"\(\s*\)", " ", s)
    opens, closes = s.count("("), s.count(")")
    lo, hi = 0, len(s)
    while True:
        before = (lo, hi)
        while lo < hi and s[lo] in ends:
            lo += 1
        while hi > lo and s[hi - 1] in ends:
            hi -= 1
        if hi > lo and s[hi - 1] == ")" and closes > opens:
            hi, closes = hi - 1, closes - 1
        if hi > lo and s[lo] == "(" and opens > closes:
            lo, opens = lo + 1, opens - 1
        if (lo, hi) == before:
            return s[lo:hi]


def strip_bullet(line: str) -> str:
    return _BULLET.sub("", line).strip()


def strip_html(line: str) -> str:
    # Only up to the last ">": from each "<a" of a tag never closed the pattern
    # would scan to the end of the line (quadratic on "<a <a <a ...").
    end = line.rfind(">") + 1
    return _HTML_TAG.sub("", line[:end]) + line[end:]


def squash(line: str) -> str:
    """Lower-case without spaces or punctuation: "W ORK  E XPERIENCE" -> "workexperience"."""
    return re.sub(r"[\s:：.·|/&_\-–—]+", "", line).casefold()


def has_cjk(s: str) -> bool:
    return any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in s)


def _is_month(word: str) -> bool:
    return word.strip(".").casefold() in MONTHS


# Two columns of plain text side by side (a sidebar beside the main column, as
# `pdftotext -layout` writes a two-column page) are read one after the other
# when a stretch of at least `_TEXT_COLUMN_LINES` lines has a character column
# that no cell crosses, and each side stands alone on at least
# `_ALONE_SHARE` of the stretch's lines and holds text on at least
# `_SIDE_SHARE` of them: a date column beside titles has no line of its own,
# a label column holds text on few lines, so both stay beside their entries.
_TEXT_COLUMN_LINES = 12
_SIDE_SHARE = 0.35
_ALONE_SHARE = 0.1
_GUTTER_SPACES = 2  # the least run of spaces left of the gutter
_GRID_SHARE = 0.5
_GUTTER_CANDIDATES = 8
_DATES_SHARE = 0.4
_A_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def split_text_columns(raw_lines: list[str]) -> list[str]:
    """`raw_lines` (tabs expanded) with each stretch laid out in two independent
    columns rewritten as its left column's lines, then its right column's (kept
    at their columns); other lines as they were."""
    spans = [[m.span() for m in _CELL.finditer(raw)] for raw in raw_lines]
    # Candidates: the columns where most cells start (a column's left edge);
    # a few, so that the cost stays linear in the text.
    starts = Counter(a for cells in spans for a, _ in cells if a >= _GUTTER_SPACES + 8)
    best: tuple[int, int, list[tuple[int, int]]] | None = None
    candidates = [g for g, n in starts.most_common(_GUTTER_CANDIDATES) if n >= 3]
    # a column's cells may start a character or two left of its edge
    for gutter in sorted({g - k for g in candidates for k in range(_SAME_COLUMN + 1)}):
        stretches = _column_stretches(raw_lines, spans, gutter)
        size = sum(b - a for a, b in stretches)
        if stretches and (best is None or size > best[0]):
            best = (size, gutter, stretches)
    if best is None:
        return raw_lines
    _, gutter, stretches = best
    out: list[str] = []
    done = 0
    for a, b in stretches:
        out.extend(raw_lines[done:a])
        out.extend(raw[:gutter].rstrip() for raw in raw_lines[a:b])
        out.extend(
            " " * gutter + raw[gutter:] if raw[gutter:].strip() else "" for raw in raw_lines[a:b]
        )
        done = b
    out.extend(raw_lines[done:])
    return out


def _column_stretches(
    rows: list[str], spans: list[list[tuple[int, int]]], gutter: int
) -> list[tuple[int, int]]:
    """[start, end) line ranges where `gutter` splits the text into two
    independent columns (see the constants above)."""
    found = []
    start = None
    for y in range(len(spans) + 1):
        crossing = y == len(spans) or any(
            a < gutter and b > gutter - _GUTTER_SPACES for a, b in spans[y]
        )
        if not crossing and start is None:
            start = y
        if crossing and start is not None:
            if _independent(rows[start:y], spans[start:y], gutter):
                found.append((start, y))
            start = None
    return found


def _independent(rows: list[str], spans: list[list[tuple[int, int]]], gutter: int) -> bool:
    lines = [cells for cells in spans if cells]
    if len(lines) < _TEXT_COLUMN_LINES:
        return False
    # A side whose lines are mostly dates is a date column beside its entries.
    for side in ([r[:gutter] for r in rows], [r[gutter:] for r in rows]):
        texts = [t for t in side if t.strip()]
        if sum(1 for t in texts if _A_YEAR.search(t)) >= _DATES_SHARE * len(texts):
            return False
    left = [any(b <= gutter for _, b in cells) for cells in lines]
    right = [any(a >= gutter for a, _ in cells) for cells in lines]
    n = len(lines)
    at_gutter = sum(1 for cells in lines if any(a == gutter for a, _ in cells))
    # Blocks (lines with text on one side, one under the other) that start on
    # the same line on both sides are a grid's cells, not two columns.
    # (Blank lines do not count: pdftotext writes them across both columns.)
    tops = [_block_tops(left), _block_tops(right)]
    few, many = sorted(tops, key=len)
    if not few or len(few & many) >= _GRID_SHARE * len(few):
        return False
    return (
        sum(left) >= _SIDE_SHARE * n
        and sum(right) >= _SIDE_SHARE * n
        and sum(1 for lt, rt in zip(left, right, strict=True) if lt and not rt) >= _ALONE_SHARE * n
        and sum(1 for lt, rt in zip(left, right, strict=True) if rt and not lt) >= _ALONE_SHARE * n
        and at_gutter >= 2
    )


def _block_tops(occupied: list[bool]) -> set[int]:
    """The lines where a run of occupied lines starts."""
    return {y for y, on in enumerate(occupied) if on and (y == 0 or not occupied[y - 1])}
