"""The DOCX child: checking the zip and reading a Word document's paragraphs,
tables, text boxes and links, in the forked child only (see `children`).
"""

from __future__ import annotations

import zipfile

from ..errors import BadFile
from .kinds import (
    MAX_COMPRESSION_RATIO,
    MAX_ZIP_MEMBERS,
    RATIO_CHECK_MIN_BYTES,
    Probe,
    ReadResult,
    _invalid,
    _Limits,
    _too_complex,
)
from .links import MAX_LINKS_PER_PAGE, links_block
from .sniff import _human_size
from .text import _finish


def _probe_docx_child(path: str, limits: _Limits) -> Probe:
    _check_docx_zip(path, limits)
    return Probe(kind="docx", pages=None)


def _check_docx_zip(path: str, limits: _Limits) -> None:
    """Zip-level checks before any XML is parsed: members, sizes, ratios."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (MemoryError, BadFile):
        raise
    except Exception:
        raise _invalid("docx", "it is not a valid ZIP archive") from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise _docx_too_large(f"it has {len(infos)} internal parts")
    if not any(info.filename == "word/document.xml" for info in infos):
        raise _invalid("docx", "it has no document body")
    total = sum(info.file_size for info in infos)
    if total > limits.max_docx_uncompressed:
        raise _docx_too_large(
            f"it unpacks to {_human_size(total)}, "
            f"more than the {_human_size(limits.max_docx_uncompressed)} we allow"
        )
    for info in infos:
        if info.file_size > RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise _docx_too_large("one of its parts is compressed suspiciously well")
        if info.flag_bits & 0x1:
            raise _invalid("docx", "parts of it are encrypted")


def _docx_too_large(detail: str) -> BadFile:
    return BadFile(
        "docx_too_large",
        f"This Word document is too large to read ({detail}). "
        "Remove large images or embedded files, or export it as a PDF.",
    )


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_BLOCK_CONTAINERS = {
    _W + name
    for name in ("body", "sdt", "sdtContent", "customXml", "txbxContent", "tc", "hdr", "ftr")
}
_MAX_DEPTH = 60


def _read_docx_child(path: str, limits: _Limits) -> ReadResult:
    _check_docx_zip(path, limits)
    try:
        # Imported here, not at the top: python-docx is used only in the forked child.
        import docx

        document = docx.Document(path)
        headers, footers = [], []
        for rel in document.part.rels.values():
            kind = rel.reltype.rsplit("/", 1)[-1]
            if kind in ("header", "footer") and not rel.is_external:
                target = footers if kind == "footer" else headers
                text = "\n".join(_docx_lines(rel.target_part.element))
                if text.strip() and text not in target:
                    target.append(text)
        body = "\n".join(_docx_lines(document.element.body))
        links = _docx_links(document)
    except (MemoryError, BadFile):
        raise
    except RecursionError:
        raise _too_complex("its structure is nested too deeply") from None
    except Exception as exc:
        if "amplification" in str(exc):  # libxml2 refuses "billion laughs"
            raise _too_complex("it defines XML entities that expand enormously") from None
        raise _invalid("docx", "its content is broken") from None
    text = "\n\n".join(part for part in (*headers, body, *footers) if part.strip())
    return _finish(text + links_block(links, text), "docx", None, [], limits)


_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# A DOCX has no pages: its first paragraphs stand for the first page.
_DOCX_FIRST_PAGE_PARAGRAPHS = 25


def _docx_links(document) -> list[tuple[int, str, str]]:
    """(0 on the first paragraphs, else 1; address; text) of the body's
    hyperlinks to external addresses."""
    rels = document.part.rels
    out: list[tuple[int, str, str]] = []
    paragraphs = 0
    for node in document.element.body.iter(_W + "p", _W + "hyperlink"):
        if node.tag == _W + "p":
            paragraphs += 1
            continue
        rel = rels.get(node.get(_R_ID) or "")
        if rel is None or not rel.is_external:
            continue
        anchor = "".join(t.text or "" for t in node.iter(_W + "t"))
        page = 0 if paragraphs <= _DOCX_FIRST_PAGE_PARAGRAPHS else 1
        out.append((page, rel.target_ref, anchor))
        if len(out) >= MAX_LINKS_PER_PAGE:
            break
    return out


def _docx_lines(container, depth: int = 0) -> list[str]:
    """Paragraphs and tables of a block container, in document order."""
    lines: list[str] = []
    if depth > _MAX_DEPTH:
        return lines
    for child in container:
        tag = child.tag
        if not isinstance(tag, str):  # comments, processing instructions, entities
            continue
        if tag == _W + "p":
            lines.extend(_paragraph_lines(child, depth))
        elif tag == _W + "tbl":
            lines.extend(_table_lines(child, depth))
        elif tag in _BLOCK_CONTAINERS:
            lines.extend(_docx_lines(child, depth + 1))
    return lines


def _table_lines(table, depth: int) -> list[str]:
    """A row whose cells are all one line becomes one line (cells joined by a
    tab); otherwise each cell's lines follow one another."""
    lines: list[str] = []
    for row in _children(table, _W + "tr", depth):
        cells = [_docx_lines(cell, depth + 1) for cell in _children(row, _W + "tc", depth)]
        cells = [[line for line in cell if line.strip()] for cell in cells]
        cells = [cell for cell in cells if cell]
        if cells and all(len(cell) == 1 for cell in cells):
            lines.append("\t".join(cell[0] for cell in cells))
        else:
            for cell in cells:
                lines.extend(cell)
    return lines


def _children(node, tag: str, depth: int):
    """Children of `node` with `tag`, also when wrapped in content controls."""
    for child in node:
        if child.tag == tag:
            yield child
        elif child.tag in _BLOCK_CONTAINERS and depth < _MAX_DEPTH:
            yield from _children(child, tag, depth + 1)


def _paragraph_lines(paragraph, depth: int) -> list[str]:
    """A paragraph's visible text; text boxes inside it follow as lines of their own."""
    parts: list[str] = []
    boxes: list[str] = []
    _inline_text(paragraph, parts, boxes, depth)
    return [*"".join(parts).split("\n"), *boxes]


def _inline_text(node, parts: list[str], boxes: list[str], depth: int) -> None:
    for child in node:
        tag = child.tag
        if not isinstance(tag, str):  # comments, processing instructions, entities
            continue
        if tag == _W + "t":
            parts.append(child.text or "")
            # An unresolved entity reference (resolve_entities=False) is a child
            # node: keep the text after it, never anything it points to.
            parts.extend(sub.tail or "" for sub in child)
        elif tag == _W + "tab":
            parts.append("\t")
        elif tag in (_W + "br", _W + "cr"):
            parts.append("\n")
        elif tag == _W + "noBreakHyphen":
            parts.append("-")
        elif tag == _W + "txbxContent":
            boxes.extend(_docx_lines(child, depth + 1))
        elif tag == _MC_FALLBACK:  # the same content again, for old readers
            continue
        elif depth < _MAX_DEPTH:
            _inline_text(child, parts, boxes, depth + 1)
