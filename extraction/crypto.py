"""Encryption at rest for uploaded files and cached extraction results (SPEC S).

Keys come from the environment: `ENCRYPTION_KEYS`, comma-separated Fernet keys
(AES-128-CBC + HMAC-SHA256, authenticated). The first key encrypts, every key
decrypts. Rotation: put a new key first, restart every process, run
`manage.py rotate_encryption_keys`, then drop the old key (docs/deploy.md).

Sealed data is `MAGIC` followed by a Fernet token (ASCII). Data without the
header was written before encryption existed and is read as plaintext, until
the rotate command seals it.

When `ENCRYPTION_KEYS` is unset, a key derived from SECRET_KEY is used: a
development fallback that `check --deploy` flags (cv2web.W001). It also stays
usable for decryption (after the listed keys) once `ENCRYPTION_KEYS` is set,
so that a deployment that started on the fallback can move to real keys with
one rotation instead of losing its files in flight.
"""

from __future__ import annotations

import base64
import functools
import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"cv2web:enc:1\n"
MAKE_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class DecryptionError(Exception):
    """No configured key opens the data (or it was altered)."""


def _fallback_key(secret_key: str) -> bytes:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"cv2web encryption at rest"
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(derived)


def parse_keys(raw: list[str] | tuple[str, ...]) -> list[Fernet]:
    """Fernet objects for the configured keys; ImproperlyConfigured names a bad entry."""
    keys = []
    for number, key in enumerate((k.strip() for k in raw if k.strip()), start=1):
        try:
            keys.append(Fernet(key))
        except ValueError:  # binascii.Error included; the key itself is never echoed
            raise ImproperlyConfigured(
                f"ENCRYPTION_KEYS: entry {number} is not a Fernet key "
                f"(32 url-safe base64-encoded bytes). Make one with: {MAKE_KEY}"
            ) from None
    return keys


@functools.lru_cache(maxsize=8)
def _keyring(raw: tuple[str, ...], secret_key: str) -> tuple[Fernet, MultiFernet]:
    fernets = [*parse_keys(raw), Fernet(_fallback_key(secret_key))]
    return fernets[0], MultiFernet(fernets)


def _keys() -> tuple[Fernet, MultiFernet]:
    # Read on every call (cached per value), so override_settings works in tests.
    return _keyring(tuple(settings.ENCRYPTION_KEYS), settings.SECRET_KEY)


def check_keys() -> None:
    """Raise ImproperlyConfigured now if ENCRYPTION_KEYS holds a bad key (start-up)."""
    _keys()


def is_sealed(data: bytes) -> bool:
    return data.startswith(MAGIC)


def seal(data: bytes) -> bytes:
    """`data` encrypted with the first key."""
    return MAGIC + _keys()[1].encrypt(data)


def open_sealed(data: bytes) -> bytes:
    """The plaintext of `data`; data without the header is legacy plaintext."""
    if not is_sealed(data):
        return data
    try:
        return _keys()[1].decrypt(data[len(MAGIC) :])
    except InvalidToken:
        raise DecryptionError(
            "None of the keys in ENCRYPTION_KEYS can decrypt this data: it was sealed "
            "with a key that is no longer listed, or it was altered."
        ) from None


def is_current(data: bytes) -> bool:
    """Whether `data` is sealed with the first key (nothing for `rotate` to do)."""
    if not is_sealed(data):
        return False
    try:
        _keys()[0].extract_timestamp(data[len(MAGIC) :])  # checks the signature only
    except InvalidToken:
        return False
    return True


def rotate(data: bytes) -> bytes:
    """`data` sealed with the first key: re-encrypted, or sealed if it was plaintext.

    Raises DecryptionError when no key opens it.
    """
    return seal(open_sealed(data))


# ------------------------------------------------------------------ files


def write_private(path: Path, data: bytes) -> None:
    """Write `path` atomically, readable by this user only.

    A temporary name in the same folder, then a rename: a reader (a worker, or
    the rotate command rewriting a file a worker is reading) sees the whole old
    file or the whole new one, never half of either.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:  # mkstemp: O_EXCL, mode 0600
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def seal_file(path: Path, data: bytes) -> None:
    """Store `data` sealed at `path` (atomic, mode 0600)."""
    write_private(path, seal(data))


def open_file(path: Path) -> bytes:
    """The plaintext of the file at `path` (sealed or legacy)."""
    return open_sealed(Path(path).read_bytes())
