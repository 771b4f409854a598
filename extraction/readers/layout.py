"""PDF geometry: pdfium's characters put into visual lines by position, then into
blocks and columns in reading order.
"""

from __future__ import annotations

import math
import re
from collections import Counter

# pdfium replaces a hyphen that ends a line with U+0002 (per character) or
# U+FFFE (in its text), meaning "join the word"; in CVs it is mostly part of a
# compound ("Test-Automatisierung"), so the hyphen is kept.
_PDFIUM_HYPHENS = str.maketrans({"\x02": "-", "\ufffe": "-"})


def _char_texts(textpage, count: int) -> str:
    """The page's characters, one string item per pdfium character index
    (a hyphen that ends a line is U+0002 or U+FFFE)."""
    # Imported here, not at the top: pdfium (and ctypes for its C structures) is
    # used only in the forked child (`children._preload_parsers` loads it before the fork).
    import ctypes

    import pypdfium2.raw as pdfium_c

    if count <= 0:
        return ""
    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(textpage.raw, 0, count, buffer)
    if written == count + 1:
        text = bytes(buffer)[: 2 * count].decode("utf-16-le", errors="replace")
        if len(text) == count:  # one UTF-16 unit per character: the indices agree
            return text
    # Characters outside the BMP, or left out of pdfium's text: one by one.
    chars = []
    for index in range(count):
        code = pdfium_c.FPDFText_GetUnicode(textpage.raw, index)
        chars.append(chr(code) if code <= 0x10FFFF and not 0xD800 <= code < 0xE000 else "\ufffd")
    return "".join(chars)


# A gap between two of pdfium's lines rejoined into one wider than this share
# of the line height gets a space.
_WORD_GAP = 0.25
# A gap between two runs of one row wider than this share of the line height
# (several spaces' width: a date column beside a title, side-by-side skill
# "pills", table cells) is written as `CELL_GAP`, so that separate runs can be
# told from the words of one run ("SDLC  Threat Modeling").
_WIDE_GAP = 0.8
CELL_GAP = "  "
_CELL_MARK = "\t"  # inside `_positioned_lines` only
_UPRIGHT_TOLERANCE = 1e-3  # radians
_SAME_ROW = 0.7


def _positioned_lines(textpage) -> list[tuple[str, float, float, float, float]] | None:
    """The page's visual lines in painting order, as (text, x, baseline y,
    height, right edge);
    None when some text is not upright (rotated pages keep pdfium's order).

    pdfium's text breaks into lines where the text leaves the current row or
    goes back to its left, and has spaces where glyphs stand apart. Its lines
    are then rejoined when the next one continues the row to the right (its
    first glyph's centre within `_SAME_ROW` line heights of the previous line's
    last, as a date column beside a larger title, top-aligned), with a space
    when they stand apart. Geometry is pdfium's loose character box: the
    advance width and the font's ascent to descent, the same for every glyph
    of a font and size. Only the first and last glyph of each line are
    measured, so the cost is per line, not per character.
    """
    # Imported here, not at the top: pdfium (and ctypes for its C structures) is
    # used only in the forked child (`children._preload_parsers` loads it before the fork).
    import ctypes

    import pypdfium2.raw as pdfium_c

    chars = _char_texts(textpage, textpage.count_chars())
    raw = textpage.raw
    rect = pdfium_c.FS_RECTF()
    rect_ref = ctypes.byref(rect)
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()

    def box(index: int) -> tuple[float, float, float, float] | None:
        if not pdfium_c.FPDFText_GetLooseCharBox(raw, index, rect_ref):
            return None
        if rect.top <= rect.bottom:  # no glyph box (a zero-size character)
            return None
        return rect.left, rect.bottom, rect.right, rect.top

    def origin(index: int) -> tuple[float, float] | None:
        if not pdfium_c.FPDFText_GetCharOrigin(raw, index, origin_x, origin_y):
            return None
        return origin_x.value, origin_y.value

    lines: list[list] = []  # [text, x, baseline y, height, last centre, right]
    current: list | None = None
    for match in _PDFIUM_LINE.finditer(chars):
        text = match.group().strip()
        if not text:
            continue
        first = match.start() + match.group().index(text[0])
        last = first + len(text) - 1
        text = _mark_wide_gaps(text.translate(_PDFIUM_HYPHENS), first, box)
        start, end = box(first), box(last)
        if start is None or end is None:  # no geometry: keep the text all the same
            if current is not None:
                current[0] += " " + text
            else:
                current = [text, *(origin(first) or (0.0, 0.0)), 1.0, 0.0, 0.0]
                lines.append(current)
            continue
        height = start[3] - start[1]
        centre = (start[3] + start[1]) / 2
        if current is not None:
            h = max(height, current[3])
            if abs(centre - current[4]) <= _SAME_ROW * h and start[0] >= current[5] - 0.5 * h:
                gap = start[0] - current[5]
                sep = _CELL_MARK if gap > _WIDE_GAP * h else " " if gap > _WORD_GAP * h else ""
                current[0] += sep + text
                current[4] = (end[3] + end[1]) / 2
                current[5] = end[2]
                continue
        angle = pdfium_c.FPDFText_GetCharAngle(raw, first)
        if angle >= 0 and min(angle, 2 * math.pi - angle) > _UPRIGHT_TOLERANCE:
            return None
        x, y = origin(first) or (start[0], start[1])
        current = [text, x, y, height, (end[3] + end[1]) / 2, end[2]]
        lines.append(current)
    return [(_cell_text(text), x, y, h, right) for text, x, y, h, _, right in lines]


_SPACE_RUN = re.compile(r"\s+")


def _mark_wide_gaps(text: str, first: int, box) -> str:
    """`text` (pdfium's characters `first`... one by one) with each space run
    between glyphs set wider apart than `_WIDE_GAP` line heights replaced by
    `_CELL_MARK`; measures only the glyphs beside a space."""
    if " " not in text:
        return text

    def sep(match: re.Match) -> str:
        before, after = box(first + match.start() - 1), box(first + match.end())
        if before is None or after is None:
            return match.group()
        h = max(before[3] - before[1], after[3] - after[1])
        return _CELL_MARK if after[0] - before[2] > _WIDE_GAP * h else match.group()

    return _SPACE_RUN.sub(sep, text)


def _cell_text(text: str) -> str:
    """Whitespace collapsed to one space; runs kept apart by `CELL_GAP`."""
    cells = (" ".join(cell.split()) for cell in text.split(_CELL_MARK))
    return CELL_GAP.join(cell for cell in cells if cell)


# One line of pdfium's text: up to a line break, or up to and including a
# hyphen that ends a line (pdfium puts no line break after one).
_PDFIUM_LINE = re.compile(r"[^\r\n\x02\ufffe]+[\x02\ufffe]?|[\x02\ufffe]")


def order_lines_by_position(
    lines: list[tuple],
    *,
    block_gap: float = 2.0,
    same_top: float = 1.0,
) -> list[str]:
    """Lines (text, x, baseline y, height[, right edge]) in content-stream order
    -> reading order.

    A page laid out in two independent columns (`_columns`) is read a column
    at a time: what spans both above them, the left column, the right one,
    what spans both below them. Each part is ordered as a page without columns:
    consecutive lines going down the page without a gap of more than
    `block_gap` line heights form a block (kept in stream order); blocks are
    ordered top to bottom, and blocks whose tops are within `same_top` line
    heights of each other left to right (a date column beside a title, a
    section label beside its content).
    """
    parts = _columns(lines)
    if parts is None:
        return _order_blocks(lines, block_gap, same_top)
    return [line for part in parts for line in _order_blocks(part, block_gap, same_top)]


def _order_blocks(lines: list[tuple], block_gap: float, same_top: float) -> list[str]:
    blocks: list[dict] = []
    previous: tuple[float, float, float] | None = None
    for text, x, y, height, *_ in lines:
        new_block = previous is None
        if previous is not None:
            px, py, ph = previous
            h = max(height, ph)
            same_row = abs(y - py) <= 0.5 * h
            new_block = y > py + 0.5 * h or py - y > block_gap * h or (same_row and x < px)
        if new_block:
            blocks.append({"top": y, "x": x, "h": height, "lines": []})
        blocks[-1]["lines"].append((text.strip(), y, x, height))
        previous = (x, y, height)
    blocks.sort(key=lambda block: -block["top"])
    ordered: list[str] = []
    i = 0
    while i < len(blocks):
        j = i + 1
        while j < len(blocks) and blocks[i]["top"] - blocks[j]["top"] <= same_top * blocks[i]["h"]:
            j += 1
        row = sorted(blocks[i:j], key=lambda block: block["x"])
        for block in _beside_first_rows(row):
            ordered.extend(line[0] for line in block["lines"])
        i = j
    return ordered


# A block of at most this many lines to the right of an entry, painted after
# it (a date floated right of a title), is read beside the rows it sits on.
_BESIDE_LINES = 1


def _wraps(line: tuple, nxt: tuple) -> bool:
    """`nxt` goes on with `line`: the next row, at the same left edge, in the
    same font size (a title wrapped over two rows)."""
    _, y, x, h = line
    text, ny, nx, nh = nxt
    if "://" in text or "@" in text:
        return False  # the entry's link or address under its title
    return abs(nx - x) <= _ALIGN_PT and abs(nh - h) <= 0.05 * h and 0 < y - ny <= 1.5 * h


def _beside_first_rows(row: list[dict]) -> list[dict]:
    """Blocks starting on one row, left to right; a small block right of a
    longer one whose rows it shares ("Title ... 2014 - 2015" painted after the
    title's bullets) is merged into it, its lines kept together after the
    rows of the longer block beside them (a wrapped title stays whole)."""
    out: list[dict] = []
    for block in row:
        host = out[-1] if out else None
        if (
            host is not None
            and len(block["lines"]) <= _BESIDE_LINES
            and len(host["lines"]) > len(block["lines"])
            and abs(block["lines"][0][1] - host["lines"][0][1]) <= 0.5 * block["h"]
        ):
            lines = host["lines"]
            k = 1  # after the title's lines: the first and those that wrap it
            while k < len(lines) and _wraps(lines[k - 1], lines[k]):
                k += 1
            out[-1] = {**host, "lines": lines[:k] + block["lines"] + lines[k:]}
            continue
        out.append(block)
    return out


# Two columns are read apart only when each holds at least this many lines,
# the page's painter visited each in at most `_COLUMN_RUNS` stretches (a
# sidebar and a main column are painted one after the other; a label or date
# column beside its entries is painted entry by entry), and fewer than
# `_ALIGNED_SHARE` of the narrower column's blocks start on a row of the other
# (labels and dates sit on their entry's first row; a sidebar's blocks do not).
_COLUMN_LINES = 6
_COLUMN_RUNS = 2
_ALIGNED_SHARE = 0.8
_GUTTER_CANDIDATES = 8
_GUTTER = 0.5  # the least gap between the columns, in line heights
_ALIGN_PT = 0.5  # lines starting this close (in points) start at the same place


def _columns(lines: list[tuple]) -> list[list[tuple]] | None:
    """[above, left, right, below] when the page is two independent columns
    (see the constants above), else None. Needs each line's right edge."""
    if len(lines) < 2 * _COLUMN_LINES or any(len(line) < 5 for line in lines):
        return None
    # Candidates: the few places where most lines start (a column's left edge),
    # so that a page of thousands of lines at scattered places costs linear time.
    starts = Counter(round(line[1], 1) for line in lines)
    leftmost = min(starts)
    candidates = [x for x, n in starts.most_common(_GUTTER_CANDIDATES) if n >= 2]
    best = None
    for gutter in sorted(x for x in candidates if x > leftmost):
        left = [line for line in lines if line[4] <= gutter - _GUTTER * line[3]]
        right = [line for line in lines if line[1] >= gutter - _ALIGN_PT]
        if len(left) < _COLUMN_LINES or len(right) < _COLUMN_LINES:
            continue
        top = min(max(line[2] for line in left), max(line[2] for line in right))
        bottom = max(min(line[2] for line in left), min(line[2] for line in right))
        if top <= bottom:
            continue
        crossing = [
            line
            for line in lines
            if line[1] < gutter - _ALIGN_PT
            and line[4] > gutter - _GUTTER * line[3]
            and bottom - 0.5 * line[3] <= line[2] <= top + 0.5 * line[3]
        ]
        if crossing:
            continue
        size = min(len(left), len(right))
        if best is None or size > best[0]:
            best = (size, gutter)
    if best is None:
        return None
    gutter = best[1]
    side = [_side(line, gutter) for line in lines]
    left = [line for line, s in zip(lines, side, strict=True) if s == "L"]
    right = [line for line, s in zip(lines, side, strict=True) if s == "R"]
    top = min(max(line[2] for line in left), max(line[2] for line in right))
    bottom = max(min(line[2] for line in left), min(line[2] for line in right))

    # What spans both columns above them (a header) is read first, below them last.
    spans = [line[2] for line, s in zip(lines, side, strict=True) if not s]
    header = min((y for y in spans if y > top), default=math.inf)
    footer = max((y for y in spans if y < bottom), default=-math.inf)

    def band(line) -> int:  # 0 above the columns, 1 beside, 2 below
        return 0 if line[2] >= header else 2 if line[2] <= footer else 1

    runs = {"L": 0, "R": 0}
    previous = ""
    for line, s in zip(lines, side, strict=True):
        if s and band(line) == 1 and s != previous:
            runs[s] += 1
            previous = s
    if max(runs.values()) > _COLUMN_RUNS:
        return None
    inside = {
        s: [line for line in col if band(line) == 1] for s, col in (("L", left), ("R", right))
    }
    narrow, wide = sorted(inside.values(), key=len)
    tops = _block_tops(narrow)
    rows = [line[2] for line in wide]
    aligned = sum(1 for y, h in tops if any(abs(y - row) <= 0.3 * h for row in rows))
    if not tops or aligned >= _ALIGNED_SHARE * len(tops):
        return None
    parts: list[list[tuple]] = [[], [], [], []]
    for line, s in zip(lines, side, strict=True):
        b = band(line)
        parts[0 if b == 0 else 3 if b == 2 else 1 if s == "L" else 2].append(line)
    return parts


def _side(line: tuple, gutter: float) -> str:
    """Which side of the gutter `line` is on: L, R, or none (it crosses)."""
    if line[4] <= gutter - _GUTTER * line[3]:
        return "L"
    return "R" if line[1] >= gutter - _ALIGN_PT else ""


def _block_tops(lines: list[tuple]) -> list[tuple[float, float]]:
    """(baseline, height) of the first line of each block of `lines` (a line
    more than 1.6 line heights below the one above it starts a block)."""
    ordered = sorted(lines, key=lambda line: -line[2])
    tops = []
    for i, line in enumerate(ordered):
        if i == 0 or ordered[i - 1][2] - line[2] > 1.6 * line[3]:
            tops.append((line[2], line[3]))
    return tops
