"""Database-wide named locks for admission decisions across processes."""

from __future__ import annotations

import zlib

from django.db import connection


def hold(name: str) -> None:
    """Take the lock `name` until the current transaction ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: nothing to do,
    the IMMEDIATE transaction already holds the database's single write lock.
    Call inside transaction.atomic().
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])
