"""The one way to write the audit log: `record(...)`."""

from __future__ import annotations

import logging
from typing import Any

from django.db import models

from .models import AuditLog

log = logging.getLogger("cv2web.audit")

Category = AuditLog.Category


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
    entry = AuditLog.objects.create(
        action=action,
        category=category,
        actor=actor,
        ip=ip[:64],
        session_key=session_key[:40],
        object_type=object_type,
        object_id=object_id,
        details=details or {},
    )
    log.info("audit %s %s:%s", action, object_type, object_id)
    return entry
