"""The PDF child: opening, checking and reading a PDF with pdfium, in the forked
child only (see `children`).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from ..errors import BadFile
from .kinds import Probe, ReadResult, _invalid, _Limits, _no_text_layer, _too_complex
from .layout import _PDFIUM_HYPHENS, _positioned_lines, order_lines_by_position
from .links import _pdf_page_links, links_block
from .text import _finish


def _probe_pdf_child(path: str, limits: _Limits) -> Probe:
    document = _open_pdf(path)
    try:
        pages = _check_pdf(document, limits)
        if not _has_text(document, pages):
            raise _no_text_layer()
    except (BadFile, MemoryError):
        raise
    except Exception as exc:
        raise _pdf_error(exc) from None
    finally:
        document.close()
    return Probe(kind="pdf", pages=pages)


def _pdf_error(exc: Exception) -> BadFile:
    if isinstance(exc, RecursionError):
        return _too_complex("its structure is nested too deeply")
    return _invalid("pdf", "its structure is broken")


def _open_pdf(path: str):
    """The pdfium document (close it); a PDF with only an owner password opens."""
    # Imported here, not at the top: pdfium is used only in the forked child
    # (`children._preload_parsers` loads it before the fork).
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        return pdfium.PdfDocument(Path(path))
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise BadFile(
                "encrypted_pdf",
                "This PDF is password-protected. Please remove the password "
                "(or print it to a new PDF) and upload it again.",
            ) from None
        if exc.err_code == pdfium_c.FPDF_ERR_SUCCESS:  # it opened, but has no page
            raise _invalid("pdf", "it has no pages") from None
        raise _invalid("pdf", "its structure is broken") from None


def _check_pdf(document, limits: _Limits) -> int:
    pages = len(document)
    if pages == 0:
        raise _invalid("pdf", "it has no pages")
    if pages > limits.max_pages:
        raise BadFile(
            "too_many_pages",
            f"This PDF has {pages} pages; we read CVs of at most {limits.max_pages} pages.",
        )
    return pages


@contextlib.contextmanager
def _text_page(document, index: int):
    """pdfium's text page of page `index` (parsing the page), closed afterwards."""
    page = document.get_page(index)
    try:
        textpage = page.get_textpage()
        try:
            yield textpage
        finally:
            textpage.close()
    finally:
        page.close()


def _has_text(document, pages: int) -> bool:
    """Whether some page has text, opening pages until one has. A page that
    cannot be parsed counts as one without text; if none can, the file is
    broken."""
    failed = 0
    for index in range(pages):
        try:
            page = document.get_page(index)
            try:
                if _page_has_text(page):
                    return True
            finally:
                page.close()
        except MemoryError:
            raise
        except Exception:
            failed += 1
    if failed == pages:
        raise _invalid("pdf", "its pages cannot be read")
    return False


def _page_has_text(page) -> bool:
    """A text object among the page's own objects (cheap: the page is parsed
    already), else any character on pdfium's text page (text inside forms)."""
    # Imported here, not at the top: pdfium is used only in the forked child
    # (`children._preload_parsers` loads it before the fork).
    import pypdfium2.raw as pdfium_c

    has_forms = False
    for index in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        kind = pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(page.raw, index))
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            return True
        has_forms = has_forms or kind == pdfium_c.FPDF_PAGEOBJ_FORM
    if not has_forms:
        return False
    textpage = page.get_textpage()
    try:
        return textpage.count_chars() > 0
    finally:
        textpage.close()


def _read_pdf_child(path: str, limits: _Limits) -> ReadResult:
    document = _open_pdf(path)
    try:
        pages = _check_pdf(document, limits)
        texts: list[str] = []
        empty: list[int] = []
        failed: list[int] = []
        links: list[tuple[int, str, str]] = []
        length = 0
        for number in range(1, pages + 1):
            if length > limits.max_text_chars:
                break  # the rest would be cut anyway
            try:
                with _text_page(document, number - 1) as textpage:
                    text = pdf_page_text(textpage)
                    links.extend(_pdf_page_links(document, textpage, number - 1))
            except MemoryError:
                raise
            except Exception as exc:
                error = _pdf_error(exc)
                if error.code == "file_too_complex":
                    raise error from None
                failed.append(number)
                continue
            if text.strip():
                texts.append(text)
                length += len(text)
            else:
                empty.append(number)
    finally:
        document.close()
    warnings: list[str] = []
    if failed and not texts:
        raise _invalid("pdf", "its pages cannot be read")
    if failed:
        warnings.append(f"Some pages could not be read and were skipped: {_page_list(failed)}.")
    if empty and texts:
        warnings.append(
            f"Some pages have no text (they may be scanned images) and were skipped: "
            f"{_page_list(empty)}."
        )
    text = "\n\n".join(texts)
    return _finish(text + links_block(links, text), "pdf", pages, warnings, limits)


def _page_list(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def pdf_page_text(textpage) -> str:
    """One page's text (a pypdfium2 PdfTextPage) in reading order, one line per
    visual line.

    pdfium lists a page's characters in painting (content stream) order.
    Browsers and some word processors paint in an order of their own (a job's
    title after its description, the name after the contact block, a side
    column last), so pdfium's lines are measured and rejoined into visual
    lines (`_positioned_lines`), and those regrouped into blocks put in
    reading order (`order_lines_by_position`). Pages with rotated or skewed text keep
    pdfium's own order.
    """
    lines = _positioned_lines(textpage)
    if lines is None:
        text = textpage.get_text_range(errors="replace")
        return text.translate(_PDFIUM_HYPHENS)
    return "\n".join(order_lines_by_position(lines))
