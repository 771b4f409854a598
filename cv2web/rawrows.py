"""Model instances read through SQL written once (issue 13).

On the hottest reads (an API token checked on every API request, a job polled
by its owner) building the query through the ORM cost many times what the
database takes to answer it. `Columns` lists a model's concrete fields as the
SELECT columns of one table alias and turns its slice of a fetched row back
into an instance as the ORM would: the backend's and the fields' own converters
(datetimes on SQLite, JSON, encrypted columns) applied, then Model.from_db.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connections


class Columns:
    """The concrete fields of `model` read from table alias `alias` on the
    database `using`."""

    def __init__(self, model, alias: str, using: str = "default") -> None:
        conn = connections[using]
        qn = conn.ops.quote_name
        self.model = model
        self.using = using
        fields = list(model._meta.concrete_fields)
        self.width = len(fields)
        self.names = [f.attname for f in fields]
        self.sql = ", ".join(f"{qn(alias)}.{qn(f.column)}" for f in fields)
        self.table = f"{qn(model._meta.db_table)} {qn(alias)}"
        self.pk_index = fields.index(model._meta.pk)
        self._converters: list[tuple[int, list, Any]] = []
        for i, field in enumerate(fields):
            col = field.get_col(alias)
            convs = conn.ops.get_db_converters(col) + col.get_db_converters(conn)
            if convs:
                self._converters.append((i, convs, col))

    def instance(self, row: tuple | list, start: int = 0):
        """The instance of row[start:start + width]; None when its primary
        key is NULL (the missing side of a LEFT JOIN)."""
        values = list(row[start : start + self.width])
        if values[self.pk_index] is None:
            return None
        conn = connections[self.using]  # this thread's
        for i, convs, col in self._converters:
            value = values[i]
            for conv in convs:
                value = conv(value, col, conn)
            values[i] = value
        return self.model.from_db(self.using, self.names, values)


@functools.cache
def columns(model, alias: str, using: str = "default") -> Columns:
    """The Columns of (model, alias, using), built once per process."""
    return Columns(model, alias, using)


def prep(model, name: str, value, using: str = "default"):
    """`value` as the database takes it for field `name` (a query parameter)."""
    return model._meta.get_field(name).get_db_prep_value(value, connections[using], prepared=False)
