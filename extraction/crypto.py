"""Encryption at rest (SPEC S-3): uploaded files, every database column that
holds CV data (`fields.EncryptedJSONField`), sessions (`extraction.sessions`)
and database backups (the stream format below).

Keys come from the environment: `ENCRYPTION_KEYS`, comma-separated Fernet keys
(AES-128-CBC + HMAC-SHA256, authenticated). The first key encrypts, every key
decrypts. Rotation: put a new key first, restart every process, run
`manage.py rotate_encryption_keys`, then drop the old key (docs/deploy.md).

Sealed data is `MAGIC` followed by a Fernet token (ASCII). Data without the
header was written before encryption existed and is read as plaintext, until
the rotate command seals it.

Large files (database backups) are sealed as a stream of frames, so that
neither side needs the whole file in memory: `STREAM_MAGIC`, a random 16-byte
stream id, then frames of a 4-byte big-endian length and a Fernet token (its
raw bytes: base64 would add a third). Each token holds the stream id, the
frame's number and a last-frame flag before its data, so frames cannot be
dropped, reordered, cut off at the end or spliced in from another stream
without `open_stream` noticing.

With DEBUG on, a key derived from SECRET_KEY is also used: it encrypts when
`ENCRYPTION_KEYS` is unset (a development fallback that `check --deploy`
flags, cv2web.W001), and decrypts after the listed keys once it is set, so
that data sealed during development can move to real keys with one rotation.
With DEBUG off it is never used (SPEC S-2): it would be derived from a key
that may be public, and settings refuse to start without ENCRYPTION_KEYS.
"""

from __future__ import annotations

import base64
import functools
import os
import struct
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"cv2web:enc:1\n"
STREAM_MAGIC = b"cv2web:stream:1\n"
STREAM_CHUNK = 1 << 20
_STREAM_ID = 16
_FRAME_LENGTH = struct.Struct(">I")
# Stream id, frame number, last-frame flag: authenticated with the data.
_FRAME_HEADER = struct.Struct(f">{_STREAM_ID}sQ?")
# A frame of STREAM_CHUNK bytes is about that plus 100 bytes of Fernet overhead;
# anything much larger is a damaged length, not something to allocate.
_MAX_FRAME = 2 * STREAM_CHUNK + 4096
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
def _keyring(
    raw: tuple[str, ...], secret_key: str, with_fallback: bool
) -> tuple[Fernet, MultiFernet]:
    fernets = parse_keys(raw)
    if with_fallback:
        fernets.append(Fernet(_fallback_key(secret_key)))
    if not fernets:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS is not set, and with DEBUG off no key is derived from "
            f"SECRET_KEY. Make one with: {MAKE_KEY}"
        )
    return fernets[0], MultiFernet(fernets)


def _keys() -> tuple[Fernet, MultiFernet]:
    # Read on every call (cached per value), so override_settings works in tests.
    return _keyring(tuple(settings.ENCRYPTION_KEYS), settings.SECRET_KEY, bool(settings.DEBUG))


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


# ------------------------------------------------------------------ streams


def seal_stream(src: BinaryIO, dst: BinaryIO, chunk_size: int = STREAM_CHUNK) -> None:
    """Copy `src` to `dst` sealed with the first key, one chunk in memory at a time."""
    fernet = _keys()[1]
    stream_id = os.urandom(_STREAM_ID)
    dst.write(STREAM_MAGIC + stream_id)
    index = 0
    chunk = src.read(chunk_size)
    while True:
        following = src.read(chunk_size) if chunk else b""
        last = not following
        token = fernet.encrypt(_FRAME_HEADER.pack(stream_id, index, last) + chunk)
        raw = base64.urlsafe_b64decode(token)
        dst.write(_FRAME_LENGTH.pack(len(raw)) + raw)
        if last:
            return
        chunk, index = following, index + 1


def is_sealed_stream(head: bytes) -> bool:
    """Whether a file that starts with `head` is a sealed stream."""
    return head.startswith(STREAM_MAGIC)


def open_stream(src: BinaryIO, dst: BinaryIO) -> None:
    """Write the plaintext of the sealed stream `src` to `dst`.

    Raises DecryptionError when no key opens a frame, or the stream is cut
    short, reordered or altered; `dst` then holds a partial plaintext that the
    caller must discard.
    """
    stream_id = _read_stream_header(src)
    fernet = _keys()[1]
    index = 0
    while True:
        raw = _read_frame(src)
        if raw is None:
            raise DecryptionError("The encrypted file ends before its last part: it is truncated.")
        try:
            plain = fernet.decrypt(base64.urlsafe_b64encode(raw))
        except InvalidToken:
            raise DecryptionError(
                "None of the keys in ENCRYPTION_KEYS can decrypt this file: it was sealed "
                "with a key that is no longer listed, or it was altered."
            ) from None
        if len(plain) < _FRAME_HEADER.size:
            raise DecryptionError("The encrypted file is damaged (a part without its header).")
        frame_id, frame_index, last = _FRAME_HEADER.unpack_from(plain)
        if frame_id != stream_id or frame_index != index:
            raise DecryptionError("The encrypted file's parts are out of order or mixed up.")
        dst.write(plain[_FRAME_HEADER.size :])
        if last:
            if src.read(1):
                raise DecryptionError("The encrypted file goes on after its last part.")
            return
        index += 1


def stream_is_current(src: BinaryIO) -> bool:
    """Whether the sealed stream `src` was sealed with the first key (its first frame
    is checked: one run of `seal_stream` seals every frame with the same key)."""
    try:
        _read_stream_header(src)
    except DecryptionError:
        return False
    raw = _read_frame(src)
    if raw is None:
        return False
    try:
        _keys()[0].extract_timestamp(base64.urlsafe_b64encode(raw))
    except InvalidToken:
        return False
    return True


def _read_stream_header(src: BinaryIO) -> bytes:
    head = src.read(len(STREAM_MAGIC) + _STREAM_ID)
    if len(head) != len(STREAM_MAGIC) + _STREAM_ID or not is_sealed_stream(head):
        raise DecryptionError("This is not an encrypted cv2web file.")
    return head[len(STREAM_MAGIC) :]


def _read_frame(src: BinaryIO) -> bytes | None:
    length = src.read(_FRAME_LENGTH.size)
    if not length:
        return None
    if len(length) != _FRAME_LENGTH.size:
        raise DecryptionError("The encrypted file is truncated.")
    (size,) = _FRAME_LENGTH.unpack(length)
    if size > _MAX_FRAME:
        raise DecryptionError("The encrypted file is damaged (a part of impossible length).")
    raw = src.read(size)
    if len(raw) != size:
        raise DecryptionError("The encrypted file is truncated.")
    return raw


# ------------------------------------------------------------------ rotation

# Sealed data that lives outside the models' columns (database backups, in
# monitoring): each app registers a function here from its AppConfig.ready, so
# that `rotate_encryption_keys` covers it without importing a higher layer.
Resealer = Callable[..., Counter]
_resealers: dict[str, Resealer] = {}


def register_resealer(label: str, reseal: Resealer) -> None:
    """Have `rotate_encryption_keys` call `reseal(dry_run=..., batch_size=...)` -> counts."""
    _resealers[label] = reseal


def resealers() -> dict[str, Resealer]:
    return dict(_resealers)
