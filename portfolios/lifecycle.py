"""The portfolio lifecycle (SPEC P-3, P-4): one table of transitions, each a
conditional UPDATE plus an audit row, and the set-based scan."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from monitoring import audit
from monitoring.models import AuditLog

from .models import CapacityControl, Portfolio, State

# (from, to): why. Nothing else is possible.
TRANSITIONS: dict[tuple[str, str], str] = {
    (State.CREATING, State.ACTIVE): "sandbox built",
    (State.CREATING, State.CLEANUP): "build abandoned",
    (State.ACTIVE, State.IDLE): "no activity",
    (State.IDLE, State.ACTIVE): "activity",
    (State.ACTIVE, State.WARNING): "retention over",
    (State.IDLE, State.WARNING): "retention over",
    (State.WARNING, State.ACTIVE): "kept alive",
    (State.ACTIVE, State.CLEANUP): "archived by owner or staff",
    (State.IDLE, State.CLEANUP): "archived by owner or staff",
    (State.WARNING, State.CLEANUP): "grace period over",
    (State.CLEANUP, State.ARCHIVED): "sandbox removed",
    (State.ARCHIVED, State.CREATING): "restored",
}


class TransitionNotAllowed(Exception):
    pass


def allowed(frm: str, to: str) -> bool:
    return (frm, to) in TRANSITIONS


def transition(
    portfolio: Portfolio, to: str, *, actor=None, request=None, reason: str = "", **fields
) -> bool:
    """Move `portfolio` to `to` if it is still in the state we saw; True when it moved."""
    frm = portfolio.state
    if not allowed(frm, to):
        raise TransitionNotAllowed(f"{frm} -> {to}")
    now = timezone.now()
    changed = Portfolio.objects.filter(pk=portfolio.pk, state=frm).update(
        state=to, state_changed_at=now, **fields
    )
    if changed:
        portfolio.state = to
        portfolio.state_changed_at = now
        for name, value in fields.items():
            if not hasattr(value, "resolve_expression"):
                setattr(portfolio, name, value)
        audit.record(
            "portfolio.transition",
            category=audit.Category.ACTIVITY,
            actor=actor,
            request=request,
            obj=portfolio,
            details={"from": frm, "to": to, "reason": reason or TRANSITIONS[(frm, to)]},
        )
    return bool(changed)


def _bulk(qs, frm: str, to: str, at, reason: str, **fields) -> QuerySet:
    """Move every row of `qs` in `frm` to `to` with one UPDATE, audit them with
    one INSERT ... SELECT, and return the moved rows (a lazy QuerySet).

    The rows moved by this call are told apart from others by the exact
    `state_changed_at` it writes: each call in a scan gets its own instant.
    So the number of queries does not grow with the number of rows.
    """
    assert allowed(frm, to)
    moved = Portfolio.objects.filter(state=to, state_changed_at=at)
    if not qs.filter(state=frm).update(state=to, state_changed_at=at, **fields):
        return moved.none()
    _audit_moved(frm, to, at, reason)
    return moved


def _audit_moved(frm: str, to: str, at, reason: str) -> None:
    """One audit row per portfolio moved at instant `at`, in one statement."""
    details = json.dumps({"from": frm, "to": to, "reason": reason})
    if connection.vendor == "postgresql":
        object_id, details_sql = "p.id::text", "%s::jsonb"
    else:  # SQLite keeps a UUID as 32 hex digits; the audit log writes it dashed
        object_id = (
            "substr(p.id,1,8)||'-'||substr(p.id,9,4)||'-'||substr(p.id,13,4)"
            "||'-'||substr(p.id,17,4)||'-'||substr(p.id,21,12)"
        )
        details_sql = "%s"
    when = connection.ops.adapt_datetimefield_value(at)
    audit_table = connection.ops.quote_name(AuditLog._meta.db_table)
    portfolio_table = connection.ops.quote_name(Portfolio._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {audit_table} (created_at, category, action, ip, session_key, "  # noqa: S608
            f"object_type, object_id, details) SELECT %s, %s, %s, '', '', %s, {object_id}, "
            f"{details_sql} FROM {portfolio_table} p WHERE p.state = %s "
            "AND p.state_changed_at = %s",
            [
                when,
                audit.Category.SYSTEM,
                "portfolio.transition",
                "portfolios.portfolio",
                details,
                to,
                when,
            ],
        )


# --- Activity --------------------------------------------------------------------


def retention(portfolio: Portfolio) -> timedelta:
    return timedelta(hours=portfolio.retention_hours)


def touch(portfolio: Portfolio, *, actor=None, request=None, visit: bool = False) -> bool:
    """Owner activity (or a public visit, at most once a minute) keeps it alive."""
    now = timezone.now()
    window = now - timedelta(seconds=settings.PORTFOLIO_VISIT_ACTIVITY_S)
    if visit and portfolio.last_visit_at and portfolio.last_visit_at > window:
        # Counted within the last minute, as the row we read says: no write
        # at all (a write would take SQLite's lock on every page view).
        return False
    qs = Portfolio.objects.filter(
        pk=portfolio.pk, state__in=[State.ACTIVE, State.IDLE, State.WARNING]
    )
    fields = {"last_activity_at": now, "warn_at": now + retention(portfolio)}
    if visit:
        # One write a minute at most, however many visitors at once.
        qs = qs.filter(Q(last_visit_at__isnull=True) | Q(last_visit_at__lte=window))
        fields |= {"last_visit_at": now, "visits": F("visits") + 1}
    if not qs.update(**fields):
        return False
    portfolio.last_activity_at, portfolio.warn_at = now, fields["warn_at"]
    if portfolio.state in (State.IDLE, State.WARNING):
        # Back to ACTIVE; a warning no longer stands.
        transition(
            portfolio,
            State.ACTIVE,
            actor=actor,
            request=request,
            reason="public visit" if visit else "owner activity",
            warned_at=None,
        )
    return True


# --- The scan ----------------------------------------------------------------------


def scan(now=None, *, dry_run: bool = False) -> dict[str, int]:
    """Move portfolios between states in bulk; a fixed number of queries per
    step, whatever the number of portfolios (email and file work aside)."""
    from . import capacity, emails

    now = now or timezone.now()
    emergency = CapacityControl.current().emergency
    if dry_run:
        return {
            "to_idle": Portfolio.objects.due_idle(now).count(),
            "to_warning": Portfolio.objects.due_warning(now, emergency=emergency).count(),
            "to_cleanup": Portfolio.objects.due_cleanup(now).count(),
            "waiting": capacity.waiting_count(),
        }
    stats = {
        "to_idle": 0,
        "to_warning": 0,
        "accelerated": 0,
        "archived": 0,
        "emails": 0,
        "published_from_waiting_list": 0,
    }

    ticks = itertools.count()

    def at():
        return now + timedelta(microseconds=next(ticks))

    stats["to_idle"] = _bulk(
        Portfolio.objects.due_idle(now), State.ACTIVE, State.IDLE, at(), "no activity"
    ).count()
    due = Portfolio.objects.due_warning(now, emergency=emergency)
    _bulk(due, State.IDLE, State.WARNING, at(), "retention over", warned_at=now)
    _bulk(due, State.ACTIVE, State.WARNING, at(), "retention over", warned_at=now)

    # High demand: the longest-idle portfolios get their warning early.
    in_use = Portfolio.objects.holding_sandbox().count()
    excess = in_use - settings.CAPACITY_HIGH_DEMAND_AT + 1
    if excess > 0:
        oldest = Portfolio.objects.filter(state=State.IDLE).order_by("last_activity_at")
        stats["accelerated"] = _bulk(
            Portfolio.objects.filter(id__in=list(oldest.values_list("id", flat=True)[:excess])),
            State.IDLE,
            State.WARNING,
            at(),
            "high demand: accelerated cleanup",
            warned_at=now,
        ).count()
    # Everything warned by this scan carries its instant.
    warned = list(Portfolio.objects.filter(state=State.WARNING, warned_at=now))
    stats["to_warning"] = len(warned)
    for portfolio in warned:
        if portfolio.email:
            stats["emails"] += emails.send_warning(portfolio)

    cleaned = _bulk(
        Portfolio.objects.due_cleanup(now), State.WARNING, State.CLEANUP, at(), "grace period over"
    )
    gone = list(cleaned)  # with the documents: the emails use the name
    if gone:
        from . import sandbox

        for portfolio in gone:
            sandbox.remove(portfolio)
        archived = set(
            _bulk(
                cleaned, State.CLEANUP, State.ARCHIVED, at(), "sandbox removed", archived_at=now
            ).values_list("id", flat=True)
        )
        stats["archived"] = len(archived)
        for portfolio in gone:
            if portfolio.pk in archived and portfolio.email:
                stats["emails"] += emails.send_archived(portfolio)
    stats["published_from_waiting_list"] = capacity.drain()
    return stats


def finish_cleanup(portfolio: Portfolio) -> int:
    """CLEANUP -> ARCHIVED: the sandbox goes, the data stays."""
    from . import emails, sandbox

    sandbox.remove(portfolio)
    if transition(portfolio, State.ARCHIVED, archived_at=timezone.now()):
        if portfolio.email:
            emails.send_archived(portfolio)
        return 1
    return 0
