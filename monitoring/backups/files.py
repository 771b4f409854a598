"""Backup files: their names, where they are, their manifests, private temporary
files, sealing and opening, and the checks of a file against its manifest."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings

from extraction import crypto

# 2: the file is sealed (`encrypted`, `plaintext_size`, `plaintext_sha256`).
MANIFEST_FORMAT = 2
PREFIX = "cv2web-"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
NAME_RE = re.compile(r"^cv2web-(\d{8}T\d{6}Z)(?:-(\d+))?\.(sqlite3|pgdump)$")
TEMP_PREFIX = ".cv2web-partial-"
# A temporary file older than this belongs to a backup that died half-way.
STALE_TEMP = timedelta(hours=24)


class BackupError(Exception):
    """A backup or restore refused or failed; the message is for a person."""


def backup_dir() -> Path:
    return Path(settings.BACKUP_DIR)


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def list_backups(directory: Path | None = None) -> list[Path]:
    """Finished backups in BACKUP_DIR, oldest first."""
    directory = directory or backup_dir()
    if not directory.is_dir():
        return []
    found = []
    for entry in directory.iterdir():
        match = NAME_RE.match(entry.name)
        if match and entry.is_file():
            found.append(((match.group(1), int(match.group(2) or 0)), entry))
    return [path for _, path in sorted(found)]


def _new_name(now: datetime, directory: Path, suffix: str) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{PREFIX}{stamp}{suffix}"
    n = 0
    # Two backups within one second (by hand) get -1, -2, … rather than clash.
    while path.exists() or manifest_path(path).exists():
        n += 1
        path = directory / f"{PREFIX}{stamp}-{n}{suffix}"
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private_file(directory: Path, suffix: str) -> Path:
    """An empty file only the owner can read: backups hold personal data."""
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=directory)
    os.close(fd)  # mkstemp creates it with mode 0600
    return Path(name)


def _private_temp_dir(prefix: str) -> tempfile.TemporaryDirectory:
    """A folder (mode 0700) in TMP_DIR for a plaintext dump, removed on exit.

    Not BACKUP_DIR: that folder is copied to other machines, and a plaintext
    file caught there by the copy would leave with it."""
    tmp = Path(settings.TMP_DIR)
    tmp.mkdir(parents=True, exist_ok=True, mode=0o700)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=tmp)


def _seal_file(plain: Path, target: Path) -> None:
    with plain.open("rb") as src, target.open("wb") as dst:
        crypto.seal_stream(src, dst)


def _open_file(path: Path, target: Path, name: str) -> None:
    """Decrypt the backup `path` into a new private file `target`."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            crypto.open_stream(src, dst)
    except crypto.DecryptionError as exc:
        target.unlink(missing_ok=True)
        hint = (
            ""
            if settings.ENCRYPTION_KEYS
            else " ENCRYPTION_KEYS is not set: only the development key derived from "
            "SECRET_KEY was tried."
        )
        raise BackupError(
            f"{name} cannot be decrypted: {exc}{hint} Set ENCRYPTION_KEYS to include the key "
            f"that was first when the backup was taken. Nothing was restored."
        ) from None


def _is_sealed(path: Path) -> bool:
    with path.open("rb") as fh:
        return crypto.is_sealed_stream(fh.read(len(crypto.STREAM_MAGIC)))


def _remove_stale_temps(directory: Path) -> None:
    cutoff = time.time() - STALE_TEMP.total_seconds()
    for entry in directory.glob(f"{TEMP_PREFIX}*"):
        try:
            if entry.stat().st_mtime < cutoff:
                entry.unlink()
        except FileNotFoundError:
            pass


def read_manifest(path: Path) -> dict:
    mpath = manifest_path(path)
    if not mpath.is_file():
        raise BackupError(
            f"{path.name} has no manifest ({mpath.name}) beside it, so it is not a backup "
            f"made by backup_db (or its manifest was lost): refusing to restore it."
        )
    try:
        manifest = json.loads(mpath.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BackupError(f"The manifest {mpath.name} cannot be read: {exc}") from exc
    required = {"engine": str, "size": int, "sha256": str, "created_at": str}
    if not isinstance(manifest, dict) or any(
        not isinstance(manifest.get(key), kind) for key, kind in required.items()
    ):
        raise BackupError(f"The manifest {mpath.name} is not a backup manifest.")
    return manifest


def _check_file(path: Path, manifest: dict, name: str) -> None:
    """Size and checksum against the manifest: a truncated or altered file stops here."""
    size = path.stat().st_size
    if size != manifest["size"]:
        raise BackupError(
            f"{name} is {size} bytes but its manifest says {manifest['size']}: the file "
            f"is truncated or damaged. Nothing was restored."
        )
    if _sha256(path) != manifest["sha256"]:
        raise BackupError(
            f"{name} does not match the checksum in its manifest: the file was altered "
            f"or damaged. Nothing was restored."
        )


def _check_plaintext(plain: Path, manifest: dict, name: str) -> None:
    """The decrypted file against the manifest's plaintext size and checksum."""
    if "plaintext_sha256" not in manifest:
        return
    if (
        plain.stat().st_size != manifest.get("plaintext_size")
        or _sha256(plain) != manifest["plaintext_sha256"]
    ):
        raise BackupError(
            f"{name} decrypts to something other than what its manifest describes: the "
            f"backup or its manifest was altered. Nothing was restored."
        )


def _check_sealing(path: Path, manifest: dict) -> bool:
    """Whether the backup is sealed; refuses a manifest and file that disagree."""
    sealed = _is_sealed(path)
    if manifest.get("encrypted") and not sealed:
        raise BackupError(
            f"{path.name} is not encrypted, but its manifest says it was: it was replaced "
            f"or damaged. Nothing was restored."
        )
    return sealed
