"""Model instances read and written through SQL written once (issue 13).

On the hottest reads (an API token checked on every API request, a job polled
by its owner) building the query through the ORM cost many times what the
database takes to answer it; on the hottest writes (the rows a cache hit at
upload makes) the same held for building the INSERT (`create`).

`Columns` lists a model's concrete fields as the SELECT columns of one table
alias and turns its slice of a fetched row back into an instance as the ORM
would: the backend's and the fields' own converters (datetimes on SQLite,
JSON, encrypted columns) applied, then Model.from_db.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connections, models, router, transaction
from django.db.models import signals
from django.db.models.fields import NOT_PROVIDED


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


class _Insert:
    """One model's INSERT of every concrete field, written once per database:
    the primary key's column is left out when the database makes it (an
    AutoField), and read back."""

    def __init__(self, model, using: str) -> None:
        conn = connections[using]
        qn = conn.ops.quote_name
        meta = model._meta
        if meta.parents or meta.proxy or meta.auto_created:
            raise TypeError(f"{meta.label}: rawrows.create takes plain models only")
        for field in meta.concrete_fields:
            if getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED or getattr(
                field, "generated", False
            ):
                raise TypeError(f"{meta.label}.{field.name}: a value the database makes")
        self.auto_pk = meta.pk if meta.pk.db_returning else None
        self.fields = [f for f in meta.concrete_fields if f is not self.auto_pk]
        # Each column's value as `get_db_prep_save(pre_save(obj, True))` gives
        # it, with the common cases taken first: a field of a class whose
        # preparation gives a str, an int or a bool back as it is (and None as
        # None) reads the attribute; any other value or field goes through the
        # field's own methods.
        self.prep = [
            (f, f.attname, _AS_IS.get(type(f)) if not _made_on_save(f) else None)
            for f in self.fields
        ]
        # Model(*values) in concrete-field order: Django's positional path,
        # cheaper than its keyword one. A related object given by its name is
        # set through its descriptor afterwards, as Model.__init__ does.
        self.init = [
            (f, f.name, f.attname, f.is_relation and f.many_to_one) for f in meta.concrete_fields
        ]
        columns = ", ".join(qn(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        self.returning = self.auto_pk is not None and conn.features.can_return_columns_from_insert
        self._head = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES "  # noqa: S608
        self._marks = f"({marks})"
        self._returning = f" RETURNING {qn(self.auto_pk.column)}" if self.returning else ""
        self.sql += self._returning

    def many_sql(self, rows: int) -> str:
        """The INSERT of `rows` rows (their keys returned in row order, where
        the database returns rows from a bulk insert)."""
        return f"{self._head}{', '.join([self._marks] * rows)}{self._returning}"


def _made_on_save(field) -> bool:
    """A field whose pre_save makes its value (auto_now, auto_now_add)."""
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


# Field classes (exactly these, not subclasses) whose get_db_prep_save returns
# a value of these types unchanged, and None as None, on every backend.
_AS_IS: dict[type, tuple[type, ...]] = {
    **{
        cls: (str,)
        for cls in (
            models.CharField,
            models.TextField,
            models.SlugField,
            models.EmailField,
            models.URLField,
        )
    },
    **{
        cls: (int,)
        for cls in (
            models.IntegerField,
            models.SmallIntegerField,
            models.BigIntegerField,
            models.PositiveIntegerField,
            models.PositiveSmallIntegerField,
            models.PositiveBigIntegerField,
        )
    },
    models.BooleanField: (bool,),
}


@functools.cache
def _insert(model, using: str) -> _Insert:
    return _Insert(model, using)


def _instance(model, ins: _Insert, values: dict):
    """model(**values), through Django's positional path."""
    if "pk" in values:  # the one property name Model.__init__ is given here
        values[model._meta.pk.attname] = values.pop("pk")
    args = []
    related = []
    for field, name, attname, many_to_one in ins.init:
        if many_to_one and name in values:
            obj = values.pop(name)
            related.append((name, obj))
            args.append(None)
        elif attname in values:
            args.append(values.pop(attname))
        else:
            args.append(field.get_default())
    if values:
        raise TypeError(f"{model.__name__}() got unexpected keyword arguments: {', '.join(values)}")
    instance = model(*args)
    for name, obj in related:
        setattr(instance, name, obj)
    return instance


def create(model_class, /, _prepared: Any = None, **values):
    """`model.objects.create(**values)` for a plain model (no parents, no
    database-made defaults but an auto primary key): the same instance, the
    same field preparation (`pre_save`, `get_db_prep_save`) and the same
    pre_save and post_save signals, through an INSERT written once.

    `_prepared` maps an attribute name to its column's value as the database
    takes it, for a value the caller holds prepared already (a sealed copy
    read from another row): that column is written as given, the attribute
    holds `values`' value. The caller vouches that one is the other's
    preparation."""
    model = model_class
    using = router.db_for_write(model)
    ins = _insert(model, using)
    if _prepared and not set(_prepared) <= {attname for _, attname, _ in ins.prep}:
        raise TypeError(f"{model.__name__}: no column for {sorted(_prepared)}")
    obj = _instance(model, ins, dict(values))
    _write(model, ins, using, [obj], _prepared)
    return obj


def build(model_class, /, **values):
    """`model(**values)` as `create` makes it, not written yet: for
    `insert_many`."""
    return _instance(model_class, _insert(model_class, router.db_for_write(model_class)), values)


def insert_many(model_class, objs: list) -> None:
    """`create` for several unsaved instances of one model (made by `build`):
    one INSERT of every row, the same preparation and signals per row, the
    primary keys read back."""
    if objs:
        using = router.db_for_write(model_class)
        _write(model_class, _insert(model_class, using), using, objs, None)


def _write(model, ins: _Insert, using: str, objs: list, _prepared) -> None:
    conn = connections[using]
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="save")
        signals.pre_save.send(
            sender=model, instance=obj, raw=False, using=using, update_fields=None
        )
        state = obj.__dict__
        for field, attname, as_is in ins.prep:
            if _prepared and attname in _prepared:
                rows.append(_prepared[attname])
                continue
            if as_is is not None:
                value = state[attname]
                if value is None or type(value) in as_is:
                    rows.append(value)
                    continue
            rows.append(field.get_db_prep_save(field.pre_save(obj, True), conn))
    pks: list = []
    with transaction.mark_for_rollback_on_error(using), conn.cursor() as cursor:
        if len(objs) == 1:
            cursor.execute(ins.sql, rows)
            if ins.auto_pk is not None:
                if ins.returning:
                    pks = [cursor.fetchone()[0]]
                else:
                    table, column = model._meta.db_table, ins.auto_pk.column
                    pks = [conn.ops.last_insert_id(cursor, table, column)]
        elif ins.auto_pk is not None and not (
            ins.returning and conn.features.can_return_rows_from_bulk_insert
        ):
            # No way to read several keys back: a statement per row.
            width = len(ins.fields)
            for i in range(len(objs)):
                cursor.execute(ins.sql, rows[i * width : (i + 1) * width])
                if ins.returning:
                    pks.append(cursor.fetchone()[0])
                else:
                    table, column = model._meta.db_table, ins.auto_pk.column
                    pks.append(conn.ops.last_insert_id(cursor, table, column))
        else:
            cursor.execute(ins.many_sql(len(objs)), rows)
            if ins.auto_pk is not None:
                # Keys made in row order; RETURNING's own order is not
                # promised everywhere (SQLite).
                pks = sorted(row[0] for row in cursor.fetchall())
    for i, obj in enumerate(objs):
        if pks:
            setattr(obj, ins.auto_pk.attname, pks[i])
        obj._state.db = using
        obj._state.adding = False
        signals.post_save.send(
            sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using
        )
