"""Bytes to text: decide a document's type by its bytes and read its text.

First version: to be hardened (limits, child process, bombs).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BadFile


@dataclass
class ReadResult:
    text: str
    kind: str
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)


def sniff(head: bytes) -> str:
    if not head:
        raise BadFile("empty_file", "The file is empty.")
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    return "txt"


def read_document(path: Path, kind: str | None = None) -> ReadResult:
    data = Path(path).read_bytes()
    kind = kind or sniff(data[:8])
    if kind == "pdf":
        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(data))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        return ReadResult(text=text, kind=kind, pages=len(reader.pages))
    if kind == "docx":
        import docx

        d = docx.Document(io.BytesIO(data))
        return ReadResult(text="\n".join(p.text for p in d.paragraphs), kind=kind)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return ReadResult(text=text, kind=kind)
