"""What extraction does when django-q2 starts a worker process."""

from __future__ import annotations

import logging
from multiprocessing import current_process

from cv2web import walcheckpoint

from . import clock, queue

log = logging.getLogger("cv2web.extraction")


def on_worker_spawn(sender=None, proc_name: str = "", **kwargs) -> None:
    """django-q2 `post_spawn` receiver, in each new worker process: remove the
    decrypted upload copies no running job owns (a worker killed mid-job left
    them), start the queue clock (extraction.clock) and, on SQLite, the WAL
    checkpointer (cv2web.walcheckpoint)."""
    if proc_name != current_process().name:
        return  # sent about another process (a test sending the signal by hand)
    try:
        removed = queue.sweep_plaintext()
        if removed:
            log.info("worker start-up removed %d decrypted upload copies", removed)
    except Exception:
        # The clock's first look sweeps again; a worker must start regardless.
        log.warning("worker start-up: decrypted copies not swept", exc_info=True)
    try:
        clock.start()
    except Exception:
        log.exception("could not start the queue clock in %s", proc_name)
    try:
        walcheckpoint.start()
    except Exception:
        log.exception("could not start the WAL checkpointer in %s", proc_name)
