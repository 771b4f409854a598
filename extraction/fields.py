"""Model fields of the extraction app."""

from __future__ import annotations

import json

from django.db import models

from . import crypto


class EncryptedJSONField(models.TextField):
    """A JSON value stored sealed (`extraction.crypto`): the column holds only
    ciphertext, the attribute is the Python value.

    Sealing is randomised, so the column cannot be searched or compared: use it
    for payloads read by key, never for lookups. A row no key opens raises
    `crypto.DecryptionError` when it is loaded.
    """

    description = "JSON, encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return json.loads(crypto.open_sealed(value.encode()))

    def to_python(self, value):
        # Already the Python value (a string is a JSON string, not a document).
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        # A Fernet token is URL-safe base64: the sealed bytes are ASCII text.
        return crypto.seal(data).decode("ascii")
