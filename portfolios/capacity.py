"""Capacity (SPEC P-5): how many portfolios may hold a sandbox, admission
under one database-wide lock, and the waiting list's positions and times.
Counting and admission only: publishing decides what to do with a place."""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cv2web import locks
from quotas.models import Tier
from quotas.policy import tier_limits

from .models import CapacityControl, Portfolio, PortfolioRequest, RequestState, State

log = logging.getLogger("cv2web.portfolios")
LOCK = "portfolio-capacity"


@dataclass(frozen=True)
class Status:
    in_use: int
    limit: int
    overflow_limit: int
    waiting: int
    emergency: bool

    @property
    def state(self) -> str:
        """normal, high_demand, full or emergency (SPEC A /status)."""
        if self.emergency:
            return "emergency"
        if self.in_use >= self.limit:
            return "full"
        if self.in_use >= settings.CAPACITY_HIGH_DEMAND_AT:
            return "high_demand"
        return "normal"

    @property
    def alert(self) -> bool:
        return self.in_use >= settings.CAPACITY_WARN_AT


def limits(emergency: bool) -> tuple[int, int]:
    """(capacity for everyone, capacity for registered and premium users)."""
    if emergency:
        cap = settings.PORTFOLIO_EMERGENCY_CAPACITY
        return cap, max(cap, settings.PORTFOLIO_OVERFLOW_CAPACITY)
    return settings.PORTFOLIO_CAPACITY, settings.PORTFOLIO_OVERFLOW_CAPACITY


def status() -> Status:
    emergency = CapacityControl.current().emergency
    limit, overflow = limits(emergency)
    return Status(
        in_use=Portfolio.objects.holding_sandbox().count(),
        limit=limit,
        overflow_limit=overflow,
        waiting=waiting_count(),
        emergency=emergency,
    )


def waiting_count() -> int:
    return PortfolioRequest.objects.filter(state=RequestState.WAITING).count()


def may_overflow(tier: str) -> bool:
    return tier in (Tier.REGISTERED, Tier.PREMIUM)


def place_available(tier: str, *, jumping_the_line: bool) -> tuple[bool, bool]:
    """(admitted now, using the overflow). Call holding the lock.

    Nobody passes people already waiting for a normal place; registered and
    premium users may use the overflow places above it.
    """
    emergency = CapacityControl.current().emergency
    limit, overflow = limits(emergency)
    in_use = Portfolio.objects.holding_sandbox().count()
    queue_empty = not jumping_the_line or waiting_count() == 0
    if in_use < limit and queue_empty:
        return True, False
    if may_overflow(tier) and in_use < overflow:
        return True, in_use >= limit
    return False, False


@contextmanager
def locked() -> Iterator[None]:
    """A transaction holding the capacity lock: admissions happen one at a time,
    across processes and machines."""
    with transaction.atomic():
        locks.hold(LOCK)
        yield


def admit(create_portfolio, create_request, tier: str):
    """Run `create_portfolio(overflow)` if a place is free, else `create_request()`.

    Both run inside the lock, so several processes and machines never put
    more portfolios into sandboxes than the limits allow.
    """
    with locked():
        admitted, overflow = place_available(tier, jumping_the_line=True)
        if admitted:
            return create_portfolio(overflow)
        return create_request()


# --- The waiting list ------------------------------------------------------------


def position_of(request: PortfolioRequest) -> int | None:
    if request.state != RequestState.WAITING:
        return None
    return PortfolioRequest.objects.waiting().filter(created_at__lt=request.created_at).count() + 1


def typical_lifetime() -> timedelta:
    """Median time recent portfolios held their sandbox (published -> archived)."""
    rows = (
        Portfolio.objects.filter(
            state=State.ARCHIVED, archived_at__isnull=False, published_at__isnull=False
        )
        .order_by("-archived_at")
        .values_list("published_at", "archived_at")[:50]
    )
    lives = [(end - start).total_seconds() for start, end in rows if start and end]
    if lives:
        return timedelta(seconds=statistics.median(lives))
    hours = tier_limits(Tier.ANONYMOUS).retention_hours
    return timedelta(hours=hours, minutes=settings.PORTFOLIO_GRACE_MINUTES)


def eta_seconds(position: int, now=None) -> int:
    """When the `position`-th place will free, from known deadlines.

    Portfolios in WARNING free their place at their cleanup time; the others
    at theirs, if nobody visits (their warning date plus the grace period).
    Beyond the portfolios we know, recent lifetimes fill the gap. The next
    scan is when a freed place is handed on.
    """
    now = now or timezone.now()
    grace = timedelta(minutes=settings.PORTFOLIO_GRACE_MINUTES)
    deadlines = []
    for state, warned_at, warn_at in Portfolio.objects.holding_sandbox().values_list(
        "state", "warned_at", "warn_at"
    ):
        if state == State.WARNING and warned_at:
            deadlines.append(warned_at + grace)
        else:
            deadlines.append(warn_at + grace)
    deadlines.sort()
    scan = timedelta(minutes=settings.LIFECYCLE_SCAN_MINUTES)
    if position <= len(deadlines):
        when = deadlines[position - 1]
    else:
        rounds = math.ceil((position - len(deadlines)) / max(1, settings.PORTFOLIO_CAPACITY))
        when = (deadlines[-1] if deadlines else now) + typical_lifetime() * rounds
    return max(1, math.ceil((max(when, now) + scan - now).total_seconds()))
