"""A database session store whose rows are encrypted at rest (SPEC S-3).

Sessions hold CV data (the document edited on the review page), manage tokens
and notes: Django's own payload is only signed and base64-encoded, which any
reader of the table can undo. Here the signed payload is sealed with the keys
of ENCRYPTION_KEYS (`extraction.crypto`), the same keys and rotation as the
rest (`manage.py rotate_encryption_keys`).

A row without the sealed header was written before this store existed and is
read as Django wrote it, until rotation seals it or it expires. A row no key
opens reads as an empty session (signed out), as Django treats a payload whose
signature fails.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends import db

from . import crypto

log = logging.getLogger("cv2web.sessions")


class SessionStore(db.SessionStore):
    def encode(self, session_dict: dict) -> str:
        signed = super().encode(session_dict)
        # A Fernet token is URL-safe base64: ASCII, as the text column wants.
        return crypto.seal(signed.encode()).decode("ascii")

    def decode(self, session_data: str) -> dict:
        data = session_data.encode()
        if crypto.is_sealed(data):
            try:
                data = crypto.open_sealed(data)
            except crypto.DecryptionError:
                log.warning("a session no key of ENCRYPTION_KEYS opens was treated as empty")
                return {}
        return super().decode(data.decode())
