"""Distinct CVs made from the samples: a unique trailer changes the bytes (so the
SHA-256 cache key), not what a reader finds in them."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

KINDS = (".pdf", ".docx", ".txt")


def originals(samples: Path) -> list[tuple[str, bytes]]:
    """(extension, bytes) of every PDF, DOCX and TXT sample."""
    return [
        (p.suffix.lower(), p.read_bytes())
        for p in sorted(samples.glob("*"))
        if p.suffix.lower() in KINDS
    ]


def unique(kind: str, data: bytes) -> bytes:
    mark = uuid.uuid4().hex
    if kind == ".pdf":
        # Bytes after %%EOF are ignored by PDF readers.
        return data + f"\n% load {mark}\n".encode()
    if kind == ".docx":
        buf = io.BytesIO(data)
        with zipfile.ZipFile(buf, "a") as z:
            z.comment = mark.encode()
        return buf.getvalue()
    return data + f"\nReference {mark}\n".encode()


def multipart(name: str, data: bytes, field: str = "file") -> tuple[bytes, str]:
    """A multipart/form-data body with one file; returns (body, Content-Type)."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )
