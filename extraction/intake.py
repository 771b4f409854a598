"""Accepting an uploaded file: check it, store it under a server name, queue it.

Shared by the upload page, the API and the batch API. Nothing is left behind
when a check fails: the checks made in this process (kind, size, text
decoding) run before anything is stored; the probe's child parses the file
while it is stored in DATA_DIR/uploads, and the stored copy is removed again
when the probe refuses the file or the database write fails. Rows are written
only for a file that passed. It is stored encrypted (`crypto.seal_file`); the
checks run on the plaintext, held in memory for a small request
(FILE_UPLOAD_MAX_MEMORY_SIZE) and in a temporary file otherwise.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from cv2web import instruments, rawrows
from monitoring import audit
from quotas import policy

from . import crypto, pipeline, queue
from .errors import BadFile
from .extractors import Outcome, configured_name, get_extractor
from .models import CacheEntry, Document, ExtractionJob, Mode, Priority
from .readers import ProbeStarted, display_name, sniff, start_probe
from .readers.jsonresume import read_json_resume
from .resume import SCHEMA_VERSION

_CHUNK = 1024 * 1024


def priority_for(request) -> int:
    """Queue class (SPEC E-5, Q-1): premium first, then registered accounts
    (returning or not), then anonymous visitors who came before, then new ones.

    An account whose address is not confirmed yet counts as anonymous (it
    costs nothing to make, so it buys nothing); the bulk plan queues as a
    registered account: its volume belongs in background mode.
    """
    if policy.is_premium(request):
        return Priority.PREMIUM
    if policy.is_registered(request):
        return Priority.REGISTERED
    return Priority.RETURNING if policy.is_returning(request) else Priority.NEW


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _Upload:
    """An upload's bytes: in memory when the upload handler kept them there
    (a small request), else its temporary file. A file of our own is written
    only when a step needs a path (the probe's child, the JSON Resume reader),
    and removed by `close`."""

    def __init__(self, uploaded: UploadedFile) -> None:
        getvalue = getattr(getattr(uploaded, "file", None), "getvalue", None)
        self.data: bytes | None = getvalue() if callable(getvalue) else None
        self._path: Path | None = None
        self._own = False
        if self.data is None:
            self._path, self._own = _temporary_path(uploaded)

    @property
    def source(self) -> Path | bytes:
        """What `sniff` reads."""
        return self.data if self.data is not None else self.path

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path, self._own = _write_temporary([self.data or b""]), True
        return self._path

    def read(self) -> bytes:
        return self.data if self.data is not None else self.path.read_bytes()

    def sha256(self) -> str:
        if self.data is not None:
            return hashlib.sha256(self.data).hexdigest()
        return sha256_of(self.path)

    def close(self) -> None:
        if self._own and self._path is not None:
            self._path.unlink(missing_ok=True)


def _temporary_path(uploaded: UploadedFile) -> tuple[Path, bool]:
    """The upload's path on disk, and whether we made that copy ourselves."""
    if hasattr(uploaded, "temporary_file_path"):
        return Path(uploaded.temporary_file_path()), False
    return _write_temporary(uploaded.chunks()), True


def _write_temporary(chunks: Iterable[bytes]) -> Path:
    """A new file in TMP_DIR holding `chunks` (the caller removes it)."""
    fd, name = tempfile.mkstemp(dir=settings.TMP_DIR, prefix="upload-")
    with os.fdopen(fd, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return Path(name)


def check_upload(uploaded: UploadedFile | None) -> None:
    if uploaded is None:
        raise BadFile("no_file", "Choose a CV file (PDF, DOCX or TXT) or a resume.json to upload.")
    if uploaded.size == 0:
        raise BadFile("empty_file", "The file is empty.")
    if uploaded.size > settings.MAX_UPLOAD_BYTES:
        limit_mb = settings.MAX_UPLOAD_BYTES / (1024 * 1024)
        raise BadFile("file_too_large", f"The file is larger than {limit_mb:.1f} MB.", status=413)


def accept(
    uploaded: UploadedFile | None,
    *,
    owner=None,
    client: str = "",
    via: str = "web",
    priority: int | Callable[[], int] = Priority.NEW,
    mode: str = Mode.INTERACTIVE,
    extractor: str | None = None,
    admit: Callable[[], tuple[str, object]] | None = None,
    delete_after: bool = True,
    manage_token_hash: str = "",
    then: Callable[[ExtractionJob], None] | None = None,
) -> ExtractionJob:
    """Validate, store and queue one upload. Raises BadFile or QueueFull, or
    whatever `admit` raises to refuse new work (see queue.enqueue).
    `delete_after`: the stored file is deleted once the extraction succeeds.
    `manage_token_hash`: the hash of the job's manage token (anonymous API
    uploads). `then` is called with the job inside the transaction that
    makes it: what it writes is written with the job or not at all."""
    check_upload(uploaded)
    upload = _Upload(uploaded)
    stored: Path | None = None
    probing: ProbeStarted | None = None
    try:
        kind = sniff(upload.source, uploaded.name or "")
        if kind == "json":
            return _import_json_resume(
                uploaded,
                upload.path,
                owner=owner,
                client=client,
                via=via,
                mode=mode,
                delete_after=delete_after,
                manage_token_hash=manage_token_hash,
                then=then,
            )
        sha = upload.sha256()
        name = extractor or configured_name()
        fingerprint = get_extractor(name).fingerprint()
        # Counted below, in the transaction that writes the job.
        hit = CacheEntry.lookup(CacheEntry.make_key(sha, fingerprint), count=False)
        # A live cache entry means these exact bytes were read in full before:
        # the probe (a parse in a child process) would only repeat that.
        # Text is decoded by sniff already: the probe would only repeat it.
        if hit is None and kind != "txt":
            # The child parses while this request seals and stores the file
            # and asks the queue class; its answer is awaited before anything
            # is written to the database.
            probing = start_probe(upload.path, kind)
        if hit is None and callable(priority):
            # The queue class may cost queries: asked now, not inside the
            # transaction below (under the queue's lock).
            priority = priority()

        storage_name = f"{uuid.uuid4().hex}.{kind}"
        # A hit succeeds at once (queue.enqueue with the entry found): a file
        # to be deleted on success would be sealed, written and deleted within
        # this request. It is never written; the document says it is gone.
        file_deleted_at = timezone.now() if hit is not None and delete_after else None
        if file_deleted_at is None:
            stored = Path(settings.UPLOAD_DIR) / storage_name
            stored.parent.mkdir(parents=True, exist_ok=True)
            # Fernet has no streaming mode: the whole file (at most
            # MAX_UPLOAD_BYTES) is sealed in memory.
            crypto.seal_file(stored, upload.read())
        pages = None
        if probing is not None:
            pages, probing = probing.result().pages, None
        with transaction.atomic(), audit.together():
            if hit is not None:
                hit.count_hit()
            document = rawrows.create(
                Document,
                sha256=sha,
                kind=kind,
                size=uploaded.size,
                pages=pages,
                original_name=display_name(uploaded.name or ""),
                storage_name=storage_name,
                owner=owner if owner is not None and owner.is_authenticated else None,
                client=client,
                delete_after_extraction=delete_after,
                file_deleted_at=file_deleted_at,
            )
            job = queue.enqueue(
                document,
                extractor=name,
                fingerprint=fingerprint,
                priority=priority,
                mode=mode,
                owner=owner,
                client=client,
                via=via,
                cache_entry=hit,
                admit=admit,
                manage_token_hash=manage_token_hash,
            )
            if then is not None:
                then(job)
            return job
    except BaseException:
        if probing is not None:
            probing.discard()  # its child is done with the file removed below
        if stored is not None:
            stored.unlink(missing_ok=True)
        raise
    finally:
        upload.close()


# The "extractor" of a JSON Resume brought as it is: nothing reads it but the
# schema check and `resume.clean`.
IMPORT_EXTRACTOR = "jsonresume"


def _store(path: Path, kind: str) -> Path:
    """The upload sealed under a server name in UPLOAD_DIR."""
    stored = Path(settings.UPLOAD_DIR) / f"{uuid.uuid4().hex}.{kind}"
    stored.parent.mkdir(parents=True, exist_ok=True)
    # Fernet has no streaming mode: the whole file (at most MAX_UPLOAD_BYTES)
    # is sealed in memory.
    crypto.seal_file(stored, path.read_bytes())
    return stored


def _import_json_resume(
    uploaded: UploadedFile,
    path: Path,
    *,
    owner,
    client: str,
    via: str,
    mode: str,
    delete_after: bool = True,
    manage_token_hash: str = "",
    then: Callable[[ExtractionJob], None] | None = None,
) -> ExtractionJob:
    """A JSON Resume (SPEC E-1): checked against the schema and cleaned by the
    code every extractor's answer goes through (`resume.clean`, then the
    snapshot limits of `pipeline.finish`), then a job that has succeeded
    already, as a cache hit has: no queue, no model call, no allowance used.
    Raises BadFile before anything is stored."""
    doc, warnings = read_json_resume(path)
    result = pipeline.finish(
        Outcome(resume=doc, extractor=IMPORT_EXTRACTOR, warnings=warnings), [], cacheable=False
    )
    stored = _store(path, "json")
    try:
        with transaction.atomic(), audit.together():
            document = rawrows.create(
                Document,
                sha256=sha256_of(path),
                kind="json",
                size=uploaded.size,
                original_name=display_name(uploaded.name or ""),
                storage_name=stored.name,
                owner=owner if owner is not None and owner.is_authenticated else None,
                client=client,
                delete_after_extraction=delete_after,
            )
            job = queue.imported(
                document,
                result=result.resume,
                warnings=result.warnings,
                extractor=IMPORT_EXTRACTOR,
                fingerprint=f"{IMPORT_EXTRACTOR}-{SCHEMA_VERSION}",
                mode=mode,
                owner=owner,
                client=client,
                via=via,
                manage_token_hash=manage_token_hash,
            )
            if then is not None:
                then(job)
            return job
    except BaseException:
        stored.unlink(missing_ok=True)
        raise


def accept_from(
    request,
    uploaded: UploadedFile | None,
    *,
    via: str,
    priority: int | Callable[[], int] = Priority.NEW,
    mode: str = Mode.INTERACTIVE,
    admit: Callable[[], tuple[str, object]] | None = None,
    delete_after: bool = True,
    manage_token_hash: str = "",
    then: Callable[[ExtractionJob], None] | None = None,
) -> ExtractionJob:
    """accept() for a page or API request: its owner and client, and the audit
    trail (the acceptance written with the job, in its transaction). `then`
    is called with the job in that transaction too (the session's memory of
    it: `access.remember`)."""
    details = {"file": display_name(getattr(uploaded, "name", "") or ""), "via": via, "mode": mode}

    def accepted(job: ExtractionJob) -> None:
        audit.record(
            "upload.accepted",
            request=request,
            obj=job.document,
            details={
                **details,
                "job": str(job.pk),
                "size": job.document.size,
                "cached": job.cached,
            },
        )
        if then is not None:
            then(job)

    try:
        return accept(
            uploaded,
            owner=request.user,
            client=getattr(request, "client_bucket", ""),
            via=via,
            priority=priority,
            mode=mode,
            admit=admit,
            delete_after=delete_after,
            manage_token_hash=manage_token_hash,
            then=accepted,
        )
    except Exception as exc:
        code = getattr(exc, "code", "")
        if code:
            instruments.upload_refused(code)
            # A refusal the caller will explain (bad file, full queue, quota).
            category = (
                audit.Category.SECURITY if code == "quota_exceeded" else audit.Category.ACTIVITY
            )
            audit.record(
                "upload.refused",
                category=category,
                request=request,
                details={**details, "code": code},
            )
        raise
