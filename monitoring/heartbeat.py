"""Worker heartbeats: every django-q2 worker process says, now and then, that it
is alive. /readyz and the "worker stopped" alert read `age_seconds()`.

Each worker starts a daemon thread when it is spawned (django-q2's
`post_spawn` signal, connected in `monitoring.apps`). A thread rather than a
task: a worker busy with a long extraction still beats, and a beat costs no
queue round trip.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection
from django.db.models import Max
from django.utils import timezone

from .models import WorkerHeartbeat

log = logging.getLogger(__name__)

# Rows of processes gone for this long are removed by the survivors' beats
# (a recycled worker comes back under a new pid).
FORGET_AFTER = timedelta(days=1)


def process_name() -> str:
    """This process as "host:pid" (at most 100 characters, the column's size)."""
    pid = str(os.getpid())
    return f"{socket.gethostname()[: 99 - len(pid)]}:{pid}"


def beat(now: datetime | None = None) -> None:
    """Record that this process is alive at `now`."""
    now = now or timezone.now()
    name = process_name()
    if WorkerHeartbeat.objects.filter(name=name).update(seen_at=now):
        return
    try:
        WorkerHeartbeat.objects.create(name=name, seen_at=now)
    except IntegrityError:  # pragma: no cover - only this process writes its row
        WorkerHeartbeat.objects.filter(name=name).update(seen_at=now)


def newest() -> datetime | None:
    """When the most recent heartbeat of any worker was recorded."""
    return WorkerHeartbeat.objects.aggregate(newest=Max("seen_at"))["newest"]


def age_seconds(now: datetime | None = None) -> float | None:
    """Seconds since the newest worker heartbeat; None when there is none."""
    last = newest()
    if last is None:
        return None
    return max(0.0, ((now or timezone.now()) - last).total_seconds())


def forget_old(now: datetime | None = None) -> int:
    """Delete the rows of processes silent for FORGET_AFTER; returns how many."""
    cutoff = (now or timezone.now()) - FORGET_AFTER
    deleted, _ = WorkerHeartbeat.objects.filter(seen_at__lt=cutoff).delete()
    return deleted


def beat_once(now: datetime | None = None) -> bool:
    """One round of the heartbeat thread; never raises. True when recorded."""
    try:
        beat(now)
        forget_old(now)
        return True
    except Exception:
        # A database that is down or locked must not take the worker with it;
        # the next round tries again.
        log.warning("worker heartbeat not recorded", exc_info=True)
        return False
    finally:
        _close_connection()


def _close_connection() -> None:
    # The thread's own connection is closed after each round: nothing stays
    # open between beats (the worker may fork a parser child meanwhile), and a
    # database that went away and came back is picked up on the next round.
    # Inside an atomic block the connection belongs to a caller's transaction
    # (only when a test calls beat_once directly), so it is left alone.
    if connection.in_atomic_block:
        return
    with contextlib.suppress(Exception):
        connection.close()


class HeartbeatThread(threading.Thread):
    """Beats at once, then every `interval` seconds, until `stop()`."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="cv2web-heartbeat", daemon=True)
        self.interval = interval
        self._stopped = threading.Event()

    def run(self) -> None:
        while True:
            beat_once()
            if self._stopped.wait(self.interval):
                return

    def stop(self) -> None:
        self._stopped.set()


_thread: HeartbeatThread | None = None
_thread_pid: int | None = None
_start_lock = threading.Lock()


def start(interval: float | None = None) -> HeartbeatThread:
    """Start this process's heartbeat thread (once per process)."""
    global _thread, _thread_pid
    with _start_lock:
        # A thread object inherited through fork() is not running in the child.
        if _thread is None or _thread_pid != os.getpid() or not _thread.is_alive():
            _thread = HeartbeatThread(interval or settings.WORKER_HEARTBEAT_SECONDS)
            _thread_pid = os.getpid()
            _thread.start()
        return _thread


def on_worker_spawn(sender=None, proc_name: str = "", **kwargs) -> None:
    """django-q2 `post_spawn` receiver: runs in each new worker process."""
    try:
        start()
    except Exception:
        log.exception("could not start the worker heartbeat in %s", proc_name)
