"""The lifecycle scan (SPEC P-3, P-4): every few minutes, move portfolios
between states in bulk, send the warnings and the archive notices, and hand
freed places to the waiting list. The scheduled task `portfolios.tasks.lifecycle_scan`."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from . import capacity, emails, publishing, sandbox
from .lifecycle import bulk_transition
from .models import CapacityControl, Portfolio, State


def scan(now=None, *, dry_run: bool = False) -> dict[str, int]:
    """Move portfolios between states in bulk; a fixed number of queries per
    step, whatever the number of portfolios (email and file work aside)."""
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

    stats["to_idle"] = bulk_transition(
        Portfolio.objects.due_idle(now), State.ACTIVE, State.IDLE, at(), "no activity"
    ).count()
    due = Portfolio.objects.due_warning(now, emergency=emergency)
    bulk_transition(due, State.IDLE, State.WARNING, at(), "retention over", warned_at=now)
    bulk_transition(due, State.ACTIVE, State.WARNING, at(), "retention over", warned_at=now)

    # High demand: the longest-idle portfolios get their warning early.
    in_use = Portfolio.objects.holding_sandbox().count()
    excess = in_use - settings.CAPACITY_HIGH_DEMAND_AT + 1
    if excess > 0:
        oldest = Portfolio.objects.filter(state=State.IDLE).order_by("last_activity_at")
        stats["accelerated"] = bulk_transition(
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

    cleaned = bulk_transition(
        Portfolio.objects.due_cleanup(now), State.WARNING, State.CLEANUP, at(), "grace period over"
    )
    gone = list(cleaned)  # with the documents: the emails use the name
    if gone:
        for portfolio in gone:
            sandbox.remove(portfolio)
        archived = set(
            bulk_transition(
                cleaned, State.CLEANUP, State.ARCHIVED, at(), "sandbox removed", archived_at=now
            ).values_list("id", flat=True)
        )
        stats["archived"] = len(archived)
        for portfolio in gone:
            if portfolio.pk in archived and portfolio.email:
                stats["emails"] += emails.send_archived(portfolio)
    stats["published_from_waiting_list"] = publishing.drain()
    return stats
