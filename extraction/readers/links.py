"""Links: the web addresses a PDF or DOCX keeps only in a link (an icon, a user
name), added to the text under a "Links" heading.
"""

from __future__ import annotations

import re

from .layout import _PDFIUM_HYPHENS

# Profiles printed as an icon or a user name carry their address only in a
# link. Such addresses, when the text does not print them, are added after the
# text under a "Links" heading. Only links of the first page that serve no
# other use are taken: an icon (no text), a link whose text is the end of its
# own address (a user name, a file name), or a profile address of a known
# network (not an employer's site, a project or a certificate).
MAX_LINKS_PER_PAGE = 200
MAX_LINKS = 20
MAX_LINK_LENGTH = 300
_PROFILE_URL = re.compile(
    r"^https?://(?:www\.)?(?:"
    r"(?:github\.com|gitlab\.com|twitter\.com|x\.com|codepen\.io|bitbucket\.org|dribbble\.com"
    r"|behance\.net|medium\.com|dev\.to|kaggle\.com|codeberg\.org|huggingface\.co"
    r"|leetcode\.com)/@?[\w.-]+"
    r"|(?:[a-z]{2}\.)?linkedin\.com/in/[^/?#\s]+"
    r"|stackoverflow\.com/users/\d+(?:/[^/?#\s]+)?"
    r"|xing\.com/profile/[^/?#\s]+"
    r")/?$",
    re.IGNORECASE,
)


def _squash_url(text: str) -> str:
    text = re.sub(r"(?i)https?://|www\.|\s+", "", text)
    return text.casefold()


def links_block(links: list[tuple[int, str, str]], text: str) -> str:
    """The text to add after a document's text for its links (page index,
    address, the link's own text): "\n\nLinks\n<address>..." or ""."""
    printed = _squash_url(text)
    out: list[str] = []
    for page, uri, anchor in links:
        uri = uri.strip()
        if len(uri) > MAX_LINK_LENGTH or not re.match(r"(?i)https?://[^\s/]+\.[^\s/]+", uri):
            continue
        if re.search(r"\s|[<>\"']", uri) or uri in out:
            continue
        bare = _squash_url(uri).rstrip("/")
        if bare in printed:
            continue
        anchor = " ".join(anchor.split())
        if re.match(r"(?i)https?://|www\.", anchor):
            continue  # an address printed (in part) and linked
        path = re.sub(r"(?i)^https?://[^/]+", "", uri).strip("/")
        tail = path.rsplit("/", 1)[-1].lstrip("@").casefold() if path else ""
        # a user or file name ("jdoe-42", "CV.pdf"), not a project ("Widget", "org/widget")
        own = (
            bool(tail)
            and anchor.casefold().lstrip("@") == tail
            and not re.fullmatch(r"[A-Z][a-z]+", anchor)
            and ("/" not in path or re.search(r"\.[a-z0-9]{2,4}$", tail) is not None)
        )
        if page == 0 and (not anchor or own or _PROFILE_URL.match(uri)):
            out.append(uri)
        if len(out) >= MAX_LINKS:
            break
    return "\n\nLinks\n" + "\n".join(out) if out else ""


def _pdf_page_links(document, textpage, index: int) -> list[tuple[int, str, str]]:
    """(page index, address, text under the link) of a page's web links."""
    # Imported here, not at the top: pdfium (and ctypes for its C structures) is
    # used only in the forked child (`children._preload_parsers` loads it before the fork).
    import ctypes

    import pypdfium2.raw as pdfium_c

    page = textpage.page
    out: list[tuple[int, str, str]] = []
    pos = ctypes.c_int(0)
    link = pdfium_c.FPDF_LINK()
    rect = pdfium_c.FS_RECTF()
    while len(out) < MAX_LINKS_PER_PAGE and pdfium_c.FPDFLink_Enumerate(
        page.raw, ctypes.byref(pos), ctypes.byref(link)
    ):
        action = pdfium_c.FPDFLink_GetAction(link)
        if not action or pdfium_c.FPDFAction_GetType(action) != pdfium_c.PDFACTION_URI:
            continue
        size = pdfium_c.FPDFAction_GetURIPath(document.raw, action, None, 0)
        if not 0 < size <= MAX_LINK_LENGTH + 1:
            continue
        buffer = ctypes.create_string_buffer(size)
        pdfium_c.FPDFAction_GetURIPath(document.raw, action, buffer, size)
        uri = buffer.value.decode("utf-8", errors="replace")
        anchor = ""
        if pdfium_c.FPDFLink_GetAnnotRect(link, ctypes.byref(rect)):
            anchor = textpage.get_text_bounded(rect.left, rect.bottom, rect.right, rect.top)
        out.append((index, uri, anchor.translate(_PDFIUM_HYPHENS)))
    return out
