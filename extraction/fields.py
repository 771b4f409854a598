"""Model fields of the extraction app, and the sealing of their columns."""

from __future__ import annotations

import json
from collections import Counter

from django.core.exceptions import FieldError
from django.db import models
from django.db.models import Value, lookups
from django.db.models.functions import Cast

from . import crypto

_NOT_SEARCHABLE = (
    "{field} is encrypted at rest: its column holds randomised ciphertext, so it can "
    "be neither searched nor compared in the database. Filter on another column and "
    "read this one in Python."
)


class _NullOnlyExact(lookups.Exact):
    """`field=None` (which Django turns into IS NULL) and nothing else."""

    def __init__(self, lhs, rhs):
        if rhs is not None:
            raise FieldError(_NOT_SEARCHABLE.format(field=lhs.target))
        super().__init__(lhs, rhs)


class EncryptedJSONField(models.JSONField):
    """A JSON value stored sealed (`extraction.crypto`): the column is text holding
    only ciphertext, the attribute is the Python value.

    A JSONField to everything that shows or accepts it (admin, forms, DRF
    serializers and the OpenAPI schema see JSON), but the column is text
    (`get_internal_type`), and lookups into it are refused with a clear
    FieldError: sealing is randomised, so a database comparison could only ever
    be silently wrong. Rows written before encryption (JSON text without the
    header) still load. A row no key opens raises `crypto.DecryptionError` when
    it is loaded.
    """

    description = "JSON, encrypted at rest"

    def get_internal_type(self) -> str:
        # The column type (text on every engine) and no JSON check constraint.
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return json.loads(crypto.open_sealed(value.encode()), cls=self.decoder)

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        data = json.dumps(value, cls=self.encoder, ensure_ascii=False, separators=(",", ":"))
        # A Fernet token is URL-safe base64: the sealed bytes are ASCII text.
        return crypto.seal(data.encode()).decode("ascii")

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _NullOnlyExact
        raise FieldError(_NOT_SEARCHABLE.format(field=self))

    def get_transform(self, lookup_name):
        raise FieldError(_NOT_SEARCHABLE.format(field=self))


# --- Whole columns: rotation and migrations ------------------------------------------


def _stored_values(queryset, field: str, batch_size: int):
    """(pk, text as stored) of every non-null value, in batches by primary key.

    Cast: the column's text as it is, past the field's decryption."""
    queryset = queryset.filter(**{f"{field}__isnull": False}).order_by("pk")
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        rows = list(
            page.annotate(_stored=Cast(field, models.TextField())).values_list("pk", "_stored")[
                :batch_size
            ]
        )
        if not rows:
            return
        last = rows[-1][0]
        yield from rows


def _write_if_unchanged(queryset, field: str, pk, stored: str, new: str) -> bool:
    # Only if nobody wrote the row meanwhile: a save since then used the first
    # key already, and must not be overwritten with older data.
    return bool(
        queryset.alias(_stored=Cast(field, models.TextField()))
        .filter(pk=pk, _stored=stored)
        .update(**{field: Value(new, output_field=models.TextField())})
    )


def reseal_column(
    queryset, field: str, *, dry_run: bool = False, batch_size: int = 500
) -> Counter[str]:
    """Seal every value of the text column `field` with the first key of
    ENCRYPTION_KEYS, in batches. Counts by outcome: "rotated", "sealed" (it was
    plaintext), "current" (nothing to do) and "unreadable" (no key opens it; left
    exactly as it is).

    Works on any column whose text is either sealed or legacy plaintext: an
    EncryptedJSONField, or the session table's `session_data`.
    """
    counts: Counter[str] = Counter()
    for pk, stored in _stored_values(queryset, field, batch_size):
        data = stored.encode()
        if crypto.is_current(data):
            counts["current"] += 1
            continue
        outcome = "rotated" if crypto.is_sealed(data) else "sealed"
        try:
            sealed = crypto.rotate(data).decode("ascii")
        except crypto.DecryptionError:
            counts["unreadable"] += 1
            continue
        if not dry_run:
            _write_if_unchanged(queryset, field, pk, stored, sealed)
        counts[outcome] += 1
    return counts


def unseal_column(queryset, field: str, *, batch_size: int = 500) -> int:
    """Write every sealed value of `field` back as plaintext (a migration's way
    back to a JSON column); returns how many. Raises DecryptionError, naming the
    row, when no key opens one: run it inside the migration's transaction."""
    done = 0
    for pk, stored in _stored_values(queryset, field, batch_size):
        data = stored.encode()
        if not crypto.is_sealed(data):
            continue
        try:
            plain = crypto.open_sealed(data).decode()
        except crypto.DecryptionError as exc:
            raise crypto.DecryptionError(
                f"{queryset.model._meta.label}.{field} of row {pk}: {exc}"
            ) from None
        _write_if_unchanged(queryset, field, pk, stored, plain)
        done += 1
    return done
