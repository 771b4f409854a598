"""Probe and read: each PDF or DOCX goes to a forked child (see
`extraction.isolation`) under time and memory limits; text files are decoded
here. pdfium and the zip reader never parse untrusted input in the web process.
"""

from __future__ import annotations

import signal
from pathlib import Path

from django.conf import settings

from ..errors import BadFile
from ..isolation import IsolatedCrash, IsolatedMemoryError, Pending, run_isolated, start_warm
from .kinds import _SUPPORTED, KINDS, PROBE_TIMEOUT_S, Probe, ReadResult, _invalid, _Limits
from .pdf import _probe_pdf_child, _read_pdf_child
from .sniff import _check_size
from .text import _finish, decode_text
from .word import _probe_docx_child, _read_docx_child


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {KINDS}")


def _memory_mb(kind: str, limits: _Limits) -> int:
    """PDF children get at most EXTRACTION_PDF_MEMORY_MB."""
    if kind == "pdf":
        return min(limits.memory_mb, settings.EXTRACTION_PDF_MEMORY_MB)
    return limits.memory_mb


def _crashed(kind: str, memory_mb: int, exc: IsolatedCrash) -> BaseException:
    """What a parser child's crash means: the file's problem. pdfium cannot
    report a failed allocation and aborts instead (its other fatal checks
    trap, SIGILL or SIGTRAP): a PDF child killed by SIGABRT ran out of memory."""
    if kind == "pdf" and exc.signum == signal.SIGABRT:
        return IsolatedMemoryError(memory_mb)
    return _invalid(kind, "the reader stopped unexpectedly")


def _isolated(func, path: Path, kind: str, limits: _Limits, timeout: float):
    """Run a parser step in the isolated child; a crash is the file's problem."""
    _preload_parsers()
    memory_mb = _memory_mb(kind, limits)
    try:
        return run_isolated(func, str(path), limits, timeout=timeout, memory_mb=memory_mb)
    except IsolatedCrash as exc:
        raise _crashed(kind, memory_mb, exc) from exc


class ProbeStarted:
    """A probe handed to a warm child (`start_probe`): `result()` is its
    answer, or raises what `probe` would; `discard()` frees the child when the
    answer is no longer wanted. Call one of them exactly once."""

    def __init__(self, kind: str, memory_mb: int, pending: Pending[Probe] | None, done=None):
        self._kind, self._memory_mb = kind, memory_mb
        self._pending, self._done = pending, done

    def result(self) -> Probe:
        if self._pending is None:
            return self._done
        try:
            return self._pending.result()
        except IsolatedCrash as exc:
            raise _crashed(self._kind, self._memory_mb, exc) from exc

    def discard(self) -> None:
        if self._pending is not None:
            self._pending.discard()


def start_probe(path: Path, kind: str) -> ProbeStarted:
    """`probe`, started and not waited for: the upload's request seals and
    stores the file while a child of this process's warm pool parses it.
    Checks made here (the kind, the size, a text file's decoding) raise at
    once; the child's answer comes from `result()`."""
    _check_kind(kind)
    path = Path(path)
    _check_size(path)
    if kind == "txt":
        if decode_text(path.read_bytes()) is None:
            raise BadFile(
                "unsupported_type", f"This file is not a text file. {_SUPPORTED}", status=415
            )
        return ProbeStarted(kind, 0, None, Probe(kind="txt", pages=None))
    limits = _Limits.from_settings()
    timeout = min(PROBE_TIMEOUT_S, limits.timeout)
    func = _probe_pdf_child if kind == "pdf" else _probe_docx_child
    _preload_parsers()
    memory_mb = _memory_mb(kind, limits)
    # The upload-time probe, on a web request: a warm child of this process's
    # pool, not a fork of the whole process per upload.
    pending = start_warm(
        func,
        str(path),
        limits,
        timeout=timeout,
        memory_mb=memory_mb,
        pool_size=settings.EXTRACTION_PROBE_POOL_SIZE,
        max_uses=settings.EXTRACTION_PROBE_POOL_MAX_USES,
    )
    return ProbeStarted(kind, memory_mb, pending)


def probe(path: Path, kind: str) -> Probe:
    """Cheap checks at upload time; raises BadFile when the file cannot be used.

    PDF: readable, not encrypted, at most EXTRACTION_MAX_PAGES pages, some
    character on some page (else it is a scan; pages are opened until one has
    text, usually just the first). DOCX: a valid zip with word/document.xml,
    declared sizes within EXTRACTION_MAX_DOCX_UNCOMPRESSED, no zip bomb.
    TXT: decodable. PDF and DOCX are opened in the isolated child
    (timeout min(PROBE_TIMEOUT_S, EXTRACTION_PARSE_TIMEOUT_S)).
    """
    return start_probe(path, kind).result()


def read_document(path: Path, kind: str) -> ReadResult:
    """The document's text, read with every limit (see the module docstring).

    PDF and DOCX are parsed in a forked child (EXTRACTION_PARSE_TIMEOUT_S,
    EXTRACTION_PARSE_MEMORY_MB); TXT is only decoded, in this process. The
    structural checks of `probe` are repeated, so a caller that skipped it is
    still safe.
    """
    _check_kind(kind)
    path = Path(path)
    _check_size(path)
    limits = _Limits.from_settings()
    if kind == "txt":
        text = decode_text(path.read_bytes())
        if text is None:
            raise BadFile(
                "unsupported_type", f"This file is not a text file. {_SUPPORTED}", status=415
            )
        return _finish(text.removeprefix("\ufeff"), "txt", None, [], limits)
    func = _read_pdf_child if kind == "pdf" else _read_docx_child
    return _isolated(func, path, kind, limits, limits.timeout)


_preloaded = False


def _preload_parsers() -> None:
    """Import the parsers in the parent once: the child starts warm, and never
    imports (import locks held by another thread at fork time would hang it).
    Importing pypdfium2 initialises pdfium; nothing is parsed in the parent."""
    global _preloaded
    if not _preloaded:
        # Imported here, not at the top: the parsers load only when a first file is
        # probed or read (just before the first fork), not when this package is imported.
        import docx  # noqa: F401
        import pypdfium2  # noqa: F401
        import pypdfium2.raw  # noqa: F401

        _preloaded = True
