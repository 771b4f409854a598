"""The queue clock: a thread in each worker process that acts on the queue's
own deadlines, lease expiries and backoff ends, when they fall due.

django-q2 has no delayed delivery, and its scheduler looks at schedules only
every 30 s (hard-coded), so a job requeued with a 2 s backoff used to wait for
the next one-minute watchdog pass, and a dead worker's job for its lease plus
up to a minute more. The clock needs no worker slot: it sleeps until the
earliest deadline the database holds, then runs the watchdog (requeue expired
leases, remove the dead worker's plaintext copy, dispatch released jobs).

Every worker process, on every machine, runs one; they race harmlessly (the
requeue is a conditional UPDATE, dispatch counts under the queue lock). A
deadline set in another process is seen at the next look, at most
`max_sleep()` later; one set in this process (`wake_at`, called by `dispatch`)
is seen at once. The one-minute watchdog schedule stays as the backstop.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone

from . import queue
from .models import ExtractionJob
from .signals import backoff_pending

log = logging.getLogger("cv2web.extraction.clock")

# A look at most this often even when nothing is due: a new lease (claimed in
# another process) must be seen before it can expire.
MAX_SLEEP_S = 10.0
# Wake this long after a deadline: the lease test is strict (expires < now).
LATE_S = 0.05


def max_sleep() -> float:
    """Longest sleep between looks: under a third of the lease, so that any
    lease is seen at least twice before it runs out."""
    return min(MAX_SLEEP_S, settings.EXTRACTION_LEASE_S / 3)


class QueueClock(threading.Thread):
    """Looks at once, then whenever the next deadline falls due, until `stop()`."""

    def __init__(self) -> None:
        super().__init__(name="cv2web-queue-clock", daemon=True)
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._next_at: datetime | None = None
        self._last_look: datetime | None = None

    def run(self) -> None:
        while not self._stopped.is_set():
            # Cleared before the look: a wake_at() during it is not lost.
            self._wake.clear()
            next_at = self.look()
            with self._lock:
                self._next_at = next_at
            delay = max_sleep()
            if next_at is not None:
                until = (next_at - timezone.now()).total_seconds() + LATE_S
                delay = min(delay, max(LATE_S, until))
            self._wake.wait(delay)

    def look(self, now: datetime | None = None) -> datetime | None:
        """One round; never raises. Returns the next deadline it knows of."""
        now = now or timezone.now()
        try:
            due = ExtractionJob.objects.due(now, since=self._last_look)
            # The first look (worker start-up) always runs the watchdog.
            if due.expired or due.released or self._last_look is None:
                queue.watchdog(now)
                due = ExtractionJob.objects.due(timezone.now(), since=now)
            self._last_look = now
            return due.next_at
        except Exception:
            # A database that is down or locked must not stop the clock; the
            # next look (max_sleep() later) tries again.
            log.warning("queue clock: look failed", exc_info=True)
            return None
        finally:
            _close_connection()

    def wake_at(self, when: datetime) -> None:
        """Look again by `when` (sooner than planned only)."""
        if threading.current_thread() is self:
            return  # called from its own look, which reads the deadlines after
        with self._lock:
            if self._next_at is not None and self._next_at <= when:
                return
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()


def _close_connection() -> None:
    # As the heartbeat thread: nothing stays open between looks (the worker
    # forks parser children meanwhile), and a database that came back is
    # picked up at the next look.
    if connection.in_atomic_block:
        return
    with contextlib.suppress(Exception):
        connection.close()


_clock: QueueClock | None = None
_clock_pid: int | None = None
_start_lock = threading.Lock()


def start() -> QueueClock:
    """Start this process's queue clock (once per process)."""
    global _clock, _clock_pid
    with _start_lock:
        # A thread object inherited through fork() is not running in the child.
        if _clock is None or _clock_pid != os.getpid() or not _clock.is_alive():
            _clock = QueueClock()
            _clock_pid = os.getpid()
            _clock.start()
        return _clock


def running() -> QueueClock | None:
    """This process's clock, if it has a live one."""
    clock = _clock
    if clock is None or _clock_pid != os.getpid() or not clock.is_alive():
        return None
    return clock


def wake_at(when: datetime) -> None:
    """Have this process's clock look again by `when`; nothing if it has none
    (a web process: the workers' clocks see the deadline at their next look)."""
    clock = running()
    if clock is not None:
        clock.wake_at(when)


def _on_backoff_pending(sender, when: datetime, **kwargs) -> None:
    wake_at(when)  # looked up when called: a test may replace it


backoff_pending.connect(_on_backoff_pending, dispatch_uid="extraction.clock")
