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
from django.contrib.sessions.backends.base import UpdateError
from django.core import signing
from django.db import connections, router
from django.utils import timezone

from . import crypto

log = logging.getLogger("cv2web.sessions")


class SessionStore(db.SessionStore):
    # What `save_now` wrote within the request's transaction: the response's
    # save skips a session unchanged since (one statement and commit fewer).
    _written_now: bytes | None = None

    def encode(self, session_dict: dict) -> str:
        # Signed as Django signs it, but not compressed: the sealed payload is
        # random-looking already (job ids), and zlib cost more than the rest of
        # the encoding. Django's decoding reads both forms.
        signed = signing.dumps(session_dict, salt=self.key_salt, serializer=self.serializer)
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

    # Every page and API call with a session cookie reads its row, and every
    # change writes it back. Through the ORM (Model.objects.get, Model.save in
    # an atomic block) both cost several times what the database takes to
    # answer them (issue 13): the same statements, written once.

    def _get_session_from_db(self):
        key = self.session_key
        if not key:
            return None
        model = self.model
        conn = connections[router.db_for_read(model)]
        qn = conn.ops.quote_name
        meta = model._meta
        with conn.cursor() as cursor:
            cursor.execute(
                f"SELECT {qn(meta.get_field('session_data').column)} "  # noqa: S608 - ours
                f"FROM {qn(meta.db_table)} WHERE {qn(meta.pk.column)} = %s "
                f"AND {qn(meta.get_field('expire_date').column)} > %s",
                [key, conn.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=key, session_data=row[0])

    def _state(self) -> bytes:
        return self.serializer().dumps(self._get_session(no_load=False))

    def save_now(self) -> bool:
        """Write this changed session now, inside the caller's transaction, so
        that the response's save (SessionMiddleware) finds nothing new to
        write. Only a session whose row exists already; False when nothing was
        written (a new session, or its row gone: the response's save says so)."""
        if self.session_key is None or not self.modified:
            return False
        try:
            self.save()
        except UpdateError:
            return False
        self._written_now = self._state()
        return True

    def save(self, must_create: bool = False) -> None:
        if self._written_now is not None:
            written, self._written_now = self._written_now, None
            if not must_create and self.session_key is not None and written == self._state():
                return  # written by save_now, unchanged since
        if must_create or self.session_key is None:
            # A new row: Django's own (its key is retried on a clash).
            return super().save(must_create=must_create)
        model = self.model
        data = self.encode(self._get_session(no_load=False))
        using = router.db_for_write(model)
        conn = connections[using]
        qn = conn.ops.quote_name
        meta = model._meta
        with conn.cursor() as cursor:
            # One statement: atomic by itself, no transaction block around it.
            cursor.execute(
                f"UPDATE {qn(meta.db_table)} SET "  # noqa: S608 - ours
                f"{qn(meta.get_field('session_data').column)} = %s, "
                f"{qn(meta.get_field('expire_date').column)} = %s "
                f"WHERE {qn(meta.pk.column)} = %s",
                [
                    data,
                    conn.ops.adapt_datetimefield_value(self.get_expiry_date()),
                    self.session_key,
                ],
            )
            updated = cursor.rowcount
        if updated != 1:
            # Deleted meanwhile (signed out elsewhere, or expired and swept):
            # as Django's forced update does (the middleware answers 400).
            raise UpdateError
