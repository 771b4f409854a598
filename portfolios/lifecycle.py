"""The portfolio lifecycle (SPEC P-3, P-4): one table of transitions, each a
conditional UPDATE plus an audit row, one at a time or in bulk, and activity
(`touch`). Transitions only: what happens around them (sandboxes, e-mails, the
waiting list) is publishing's and the scan's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from cv2web import instruments
from monitoring import audit

from .models import Portfolio, State

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
        if to == State.ARCHIVED:
            instruments.portfolios_cleaned()
    return bool(changed)


def bulk_transition(qs, frm: str, to: str, at, reason: str, **fields) -> QuerySet:
    """Move every row of `qs` in `frm` to `to` with one UPDATE, audit them with
    one INSERT ... SELECT, and return the moved rows (a lazy QuerySet).

    The rows moved by this call are told apart from others by the exact
    `state_changed_at` it writes: each call in a scan gets its own instant.
    So the number of queries does not grow with the number of rows.
    """
    assert allowed(frm, to)
    moved = Portfolio.objects.filter(state=to, state_changed_at=at)
    changed = qs.filter(state=frm).update(state=to, state_changed_at=at, **fields)
    if not changed:
        return moved.none()
    if to == State.ARCHIVED:
        instruments.portfolios_cleaned(changed)
    audit.record_each(
        "portfolio.transition",
        moved,
        category=audit.Category.SYSTEM,
        details={"from": frm, "to": to, "reason": reason},
        at=at,
    )
    return moved


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
    qs = Portfolio.objects.live().filter(pk=portfolio.pk)
    fields: dict[str, Any] = {"last_activity_at": now, "warn_at": now + retention(portfolio)}
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
