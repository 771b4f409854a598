"""The one way to write the audit log: `record(...)`, or `record_each(...)` for many rows."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections, models
from django.db.models.signals import post_save
from django.utils import timezone

from cv2web import rawrows

from .models import AuditLog

log = logging.getLogger("cv2web.audit")

Category = AuditLog.Category

# The rows `record` made inside a `together()` block, written as it ends.
_together: ContextVar[list[AuditLog] | None] = ContextVar("audit_together", default=None)


@contextmanager
def together() -> Iterator[None]:
    """Audit rows recorded in the block are written by one INSERT as the
    block ends (inside the caller's transaction: put it within one), not a
    statement each: an upload that audits its acceptance and its job pays
    one. Nothing is written when the block raises. The rows `record` returns
    inside it get their ids as the block ends. A block inside another is
    written by the outer one."""
    if _together.get() is not None:
        yield
        return
    rows: list[AuditLog] = []
    token = _together.set(rows)
    try:
        yield
    finally:
        _together.reset(token)
    rawrows.insert_many(AuditLog, rows)


def record(
    action: str,
    *,
    category: str = Category.ACTIVITY,
    actor=None,
    request=None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Write one audit row; `request` supplies actor, client IP and session."""
    ip = session_key = ""
    if request is not None:
        user = getattr(request, "user", None)
        if actor is None and user is not None and user.is_authenticated:
            actor = user
        ip = getattr(request, "client_ip", "") or request.META.get("REMOTE_ADDR", "") or ""
        session = getattr(request, "session", None)
        session_key = (session.session_key or "") if session is not None else ""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    values = {
        "action": action,
        "category": category,
        "actor": actor,
        "ip": ip[:64],
        "session_key": session_key[:40],
        "object_type": object_type,
        "object_id": object_id,
        "details": details or {},
    }
    pending = _together.get()
    if pending is None:
        entry = rawrows.create(AuditLog, **values)
    else:
        entry = rawrows.build(AuditLog, **values)
        pending.append(entry)
    log.info("audit %s %s:%s", action, object_type, object_id)
    return entry


def record_each(
    action: str,
    objects: models.QuerySet,
    *,
    category: str = Category.SYSTEM,
    details: dict[str, Any] | None = None,
    at=None,
) -> None:
    """One audit row per row of `objects` (no actor, no request), written by one
    INSERT ... SELECT: a bulk change costs the same queries for ten rows or a
    million. The rows' ids are written as `record()` writes them (`str(pk)`)."""
    model = objects.model
    pk = model._meta.pk
    connection = connections[objects.db]
    ids = objects.order_by().annotate(audited_pk=models.F("pk")).values("audited_pk")
    ids_sql, ids_params = ids.query.get_compiler(objects.db).as_sql()
    column = "ids.audited_pk"
    if connection.vendor == "sqlite" and isinstance(pk, models.UUIDField):
        # SQLite keeps a UUID as 32 hex digits; str(uuid) is dashed.
        object_id = "||'-'||".join(
            f"substr({column},{start},{length})"
            for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
        )
    else:
        object_id = f"CAST({column} AS text)"
    details_sql = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    table = connection.ops.quote_name(AuditLog._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (created_at, category, action, ip, session_key, "  # noqa: S608
            f"object_type, object_id, details) SELECT %s, %s, %s, '', '', %s, {object_id}, "
            f"{details_sql} FROM ({ids_sql}) ids",
            [
                connection.ops.adapt_datetimefield_value(at or timezone.now()),
                category,
                action,
                model._meta.label_lower,
                json.dumps(details or {}),
                *ids_params,
            ],
        )
    log.info("audit %s %s (each row of a bulk change)", action, model._meta.label_lower)


def _admin_change(sender, instance, created, **kwargs) -> None:
    """Every change made through the Django admin (its LogEntry) is audited too."""
    if not created:
        return
    verb = {1: "added", 2: "changed", 3: "deleted"}.get(instance.action_flag, "changed")
    content_type = instance.content_type
    record(
        f"admin.{verb}",
        category=Category.SECURITY,
        actor=instance.user,
        object_type=content_type.model_class()._meta.label_lower
        if content_type and content_type.model_class()
        else "",
        object_id=str(instance.object_id or "")[:64],
        details={"object": instance.object_repr[:200], "change": instance.get_change_message()},
    )


# A lazy sender: this module is imported while apps load, before models are ready.
post_save.connect(_admin_change, sender="admin.LogEntry", dispatch_uid="cv2web-audit-admin")
