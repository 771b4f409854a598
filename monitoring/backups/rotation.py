"""Key rotation of backups: each sealed again with the first key of ENCRYPTION_KEYS."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter
from pathlib import Path

from extraction import crypto

from .files import (
    MANIFEST_FORMAT,
    BackupError,
    _check_file,
    _check_plaintext,
    _check_sealing,
    _fsync,
    _is_sealed,
    _open_file,
    _private_file,
    _private_temp_dir,
    _seal_file,
    _sha256,
    list_backups,
    manifest_path,
    read_manifest,
)

log = logging.getLogger("cv2web.backups")


class _HashingSink:
    """A file-like object that only hashes and counts what is written to it."""

    def __init__(self) -> None:
        self.digest, self.size = hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return len(data)


def reseal(*, dry_run: bool = False, batch_size: int = 0) -> Counter[str]:
    """Seal every backup in BACKUP_DIR with the first key of ENCRYPTION_KEYS.

    Part of `manage.py rotate_encryption_keys` (registered by MonitoringConfig):
    backups taken under an old key are re-encrypted, and unencrypted ones (from
    before encryption) sealed, so that dropping the old key loses no backup.
    Counts by outcome as the command prints them: "rotated", "sealed",
    "current", "missing" (no readable manifest: restore refuses it anyway) and
    "unreadable" (no key opens it, or it does not match its manifest; left
    exactly as it is). `batch_size` is accepted for the command's sake.
    """
    counts: Counter[str] = Counter()
    for path in list_backups():
        counts[_reseal_one(path, dry_run)] += 1
    return counts


def _reseal_one(path: Path, dry_run: bool) -> str:
    try:
        manifest = read_manifest(path)
    except BackupError:
        return "missing"
    sealed = _is_sealed(path)
    if sealed:
        with path.open("rb") as fh:
            if crypto.stream_is_current(fh):
                return "current"
    try:
        _check_sealing(path, manifest)
        _check_file(path, manifest, path.name)
        if dry_run:
            if sealed:
                _verify_plaintext(path, manifest)
            return "rotated" if sealed else "sealed"
        with _private_temp_dir(".cv2web-rotate-") as work:
            plain = path
            if sealed:
                plain = Path(work) / "backup"
                _open_file(path, plain, path.name)
                _check_plaintext(plain, manifest, path.name)
            _replace_sealed(path, manifest, plain)
    except BackupError as exc:
        log.error("backup %s left as it is: %s", path.name, exc)
        return "unreadable"
    return "rotated" if sealed else "sealed"


def _verify_plaintext(path: Path, manifest: dict) -> None:
    sink = _HashingSink()
    try:
        with path.open("rb") as src:
            crypto.open_stream(src, sink)
    except crypto.DecryptionError as exc:
        raise BackupError(f"{path.name} cannot be decrypted: {exc}") from None
    if "plaintext_sha256" in manifest and (
        sink.size != manifest.get("plaintext_size")
        or sink.digest.hexdigest() != manifest["plaintext_sha256"]
    ):
        raise BackupError(f"{path.name} decrypts to something other than its manifest says.")


def _replace_sealed(path: Path, manifest: dict, plain: Path) -> None:
    """Put `plain` sealed with the first key in place of the backup `path`."""
    directory = path.parent
    temp = _private_file(directory, path.suffix)
    temp_manifest: Path | None = None
    try:
        _seal_file(plain, temp)
        _fsync(temp)
        updated = {
            **manifest,
            "format": MANIFEST_FORMAT,
            "size": temp.stat().st_size,
            "sha256": _sha256(temp),
            "encrypted": True,
            "plaintext_size": manifest.get("plaintext_size", manifest["size"]),
            "plaintext_sha256": manifest.get("plaintext_sha256", manifest["sha256"]),
        }
        temp_manifest = _private_file(directory, ".json")
        temp_manifest.write_text(json.dumps(updated, indent=2) + "\n")
        _fsync(temp_manifest)
        # Two renames: a crash between them leaves a file its manifest does not
        # describe, which restore refuses rather than trusts; the data itself
        # is whole either way and opens with the listed keys.
        os.replace(temp, path)
        os.replace(temp_manifest, manifest_path(path))
        _fsync(directory)
    except BaseException:
        temp.unlink(missing_ok=True)
        if temp_manifest is not None:
            temp_manifest.unlink(missing_ok=True)
        raise
