"""What every step shares: the kinds of document, the limits a parser child runs
under, the results of probe and read, and the `BadFile` errors the children raise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from ..errors import BadFile

KINDS = ("pdf", "docx", "txt", "json")
ALLOWED_EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".txt": "txt",
    ".text": "txt",
    ".md": "txt",
    ".json": "json",
}

# Upload-time checks must be quick; a file that needs longer is refused there.
PROBE_TIMEOUT_S = 5.0
# A docx with more parts than this is not a CV.
MAX_ZIP_MEMBERS = 2000
# A zip member that inflates more than this ratio (and is not tiny) is a bomb;
# real Word XML compresses 5-30 times, images and fonts about once.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_MIN_BYTES = 1024 * 1024
# A PDF may start with up to this much junk before "%PDF-" (readers accept it).
PDF_MAGIC_WINDOW = 1024
HEAD_BYTES = 8192
DISPLAY_NAME_MAX = 120

_KIND_LABELS = {
    "pdf": "a PDF document",
    "docx": "a Word document (.docx)",
    "txt": "a text file",
    "json": "a JSON Resume (.json)",
}
_KIND_EXTENSION = {"pdf": ".pdf", "docx": ".docx", "txt": ".txt", "json": ".json"}
_SUPPORTED = (
    "We can read PDF files (with selectable text), Word documents (.docx) and text files, "
    "or start from a JSON Resume (.json)."
)


@dataclass
class Probe:
    kind: str
    pages: int | None = None


@dataclass
class ReadResult:
    text: str
    kind: str
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)
    truncated: bool = False


@dataclass(frozen=True)
class _Limits:
    """Every limit the child needs, read from settings in the parent."""

    max_pages: int
    max_text_chars: int
    max_docx_uncompressed: int
    timeout: float
    memory_mb: int

    @classmethod
    def from_settings(cls) -> _Limits:
        return cls(
            max_pages=int(settings.EXTRACTION_MAX_PAGES),
            max_text_chars=int(settings.EXTRACTION_MAX_TEXT_CHARS),
            max_docx_uncompressed=int(settings.EXTRACTION_MAX_DOCX_UNCOMPRESSED),
            timeout=float(settings.EXTRACTION_PARSE_TIMEOUT_S),
            memory_mb=int(settings.EXTRACTION_PARSE_MEMORY_MB),
        )


def _invalid(kind: str, detail: str) -> BadFile:
    if kind == "pdf":
        return BadFile(
            "invalid_pdf",
            f"We could not read this PDF ({detail}). It may be damaged; "
            "try exporting or printing it to a new PDF.",
        )
    return BadFile(
        "invalid_docx",
        f"We could not read this Word document ({detail}). It may be damaged; "
        "try saving it again as .docx or exporting a PDF.",
    )


def _too_complex(detail: str) -> BadFile:
    return BadFile(
        "file_too_complex",
        f"This file is too complex to read ({detail}). "
        "Try saving it again or exporting it as a simpler PDF.",
    )


def _no_text_layer() -> BadFile:
    return BadFile(
        "no_text_layer",
        "This PDF has no text layer: it looks like a scan or a photo of a CV. "
        "Scanned CVs are not supported yet; please upload a PDF exported from "
        "your word processor, a .docx or a text file.",
    )
