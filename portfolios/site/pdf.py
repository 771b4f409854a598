"""A portfolio as a PDF, in its theme (issue 15 point 1; SPEC P-6, P-7).

The page is the same `index.html` the site serves (made from the public
document, as the owner's ZIP is), laid out by WeasyPrint with the theme's
print stylesheet: a real text layer in reading order, its fonts embedded
(subsets), its links kept as link annotations. WeasyPrint runs in this
process: no browser, no child process, no JavaScript.

Nothing is fetched while rendering (SPEC P-6): the one resource the page
names, its stylesheet, is served from the theme's file; every other URL is
refused by `_Fetcher` before any connection, whatever its scheme.

WeasyPrint needs Pango from the system (Debian: libpango-1.0-0,
libpangoft2-1.0-0). Where it is missing, `available()` says why, and
`render_pdf` raises `PdfUnavailable` instead of failing at import time, so the
rest of the site works on a machine without it.
"""

from __future__ import annotations

import logging
from functools import cache

from extraction.resume import document_language

from ..themes import get_theme, theme_stylesheet
from .public import SHOW_ALL, Privacy, public_document
from .render import render_index

log = logging.getLogger("cv2web.portfolios")

# Part of every cached PDF's key: raised when the same inputs make another PDF.
RENDER_VERSION = "1"
# Paper sizes, by the name callers use; CSS `@page { size }` values.
PAPER_SIZES = {"a4": "A4", "letter": "letter"}
# The stylesheet's address inside the rendered page: a name no real URL has.
_STYLESHEET_URL = "cv2web-theme:style.css"


class PdfError(Exception):
    """The PDF could not be made; `code` and `message` are for the person."""

    code = "pdf_failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PdfUnavailable(PdfError):
    code = "pdf_unavailable"


@cache
def _weasyprint():
    """The weasyprint module, or the reason it cannot load (a str)."""
    try:
        import weasyprint  # noqa: PLC0415  (loads Pango through cffi: lazily)
    except (ImportError, OSError) as exc:
        return (
            f"WeasyPrint cannot load ({type(exc).__name__}: {exc}); it needs Pango "
            "(Debian: libpango-1.0-0, libpangoft2-1.0-0)"
        )
    return weasyprint


def available() -> str | None:
    """None when PDFs can be made here, else why not (in words)."""
    wp = _weasyprint()
    return wp if isinstance(wp, str) else None


def paper_css(paper: str) -> str:
    """The page size rule for `paper` (a key of PAPER_SIZES; KeyError otherwise)."""
    return f"@page {{ size: {PAPER_SIZES[paper]}; }}\n"


def _fetcher_class(wp):
    class _Fetcher(wp.urls.URLFetcher):
        """Serves the theme's stylesheet, refuses everything else (no request leaves)."""

        def __init__(self, css: bytes) -> None:
            super().__init__(allowed_protocols=())
            self.css = css
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url == _STYLESHEET_URL:
                return wp.urls.URLFetcherResponse(
                    url, body=self.css, headers={"Content-Type": "text/css; charset=utf-8"}
                )
            self.refused.append(url)
            raise ValueError(f"no external requests from a portfolio PDF: {url[:80]}")

    return _Fetcher


def render_html_pdf(
    html: str, theme: str, paper: str, *, base_url: str = ""
) -> tuple[bytes, list[str]]:
    """(PDF bytes, the URLs refused) of a rendered page whose stylesheet is
    `_STYLESHEET_URL`; relative links resolve against `base_url` (the public
    page's address), so they still lead somewhere from a PDF."""
    wp = _weasyprint()
    if isinstance(wp, str):
        raise PdfUnavailable("PDF export is not available on this server right now.")
    fetcher = _fetcher_class(wp)(theme_stylesheet(theme))
    document = wp.HTML(string=html, base_url=base_url or None, url_fetcher=fetcher)
    pdf = document.write_pdf(stylesheets=[wp.CSS(string=paper_css(paper))])
    return pdf, fetcher.refused


def render_pdf(
    resume: dict,
    theme: str,
    *,
    paper: str = "a4",
    base_url: str = "",
    lang: str | None = None,
    privacy: Privacy = SHOW_ALL,
) -> bytes:
    """The portfolio page of `resume` in `theme` as a PDF on `paper`: the page
    as the site shows it (the person's `privacy` choices, the document's
    language unless `lang` is given), as the owner's ZIP has it.

    KeyError for an unknown theme or paper; PdfUnavailable where WeasyPrint
    cannot load; any error of the layout engine is the caller's to turn into
    words (see `portfolios.publishing.portfolio_pdf`).
    """
    get_theme(theme)
    paper_css(paper)
    html = render_index(
        public_document(resume, privacy),
        theme,
        base_url=base_url,
        lang=lang or document_language(resume),
        stylesheet_href=_STYLESHEET_URL,
        privacy=privacy,
    )
    pdf, refused = render_html_pdf(html, theme, paper, base_url=base_url)
    if refused:
        # The themes name no outside resource; one that does is a bug to see.
        log.warning("portfolio PDF refused %d resource(s): %s", len(refused), refused[:3])
    return pdf
