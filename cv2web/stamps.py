"""Change stamps: for each name, a value that changes whenever what the name
stands for changes, readable by every process of the site for next to nothing.

A process that keeps an answer between requests (extraction.polls: a polled
job's answer, issue 13) reads the stamps *before* it reads the database, keeps
them with the answer, and gives the answer again only while the stamps it
reads now are the same. A writer bumps a stamp *after* its transaction commits
(`transaction.on_commit`). So a reader that read the old stamp may have read
old rows, and the bump makes what it kept stale; a reader that read the new
stamp read the committed rows. The answer given again is as old as the time a
bump takes to be seen: nothing for files, one Redis write for Redis.

Where stamps live:

- in the shared cache when that is Redis (hosts of a multi-machine site all
  see it): one key per name, read by the caller in the same round trip as its
  other cache keys (`keys_for`, then `current` on what it read);
- otherwise in files under DATA_DIR/run/stamps (a site on one machine; its
  local-memory caches are per process): 16 bytes each, which every process
  maps into its memory once and a bump overwrites in place, so that reading
  a stamp is a read of memory, not a system call (a call that gives up the
  interpreter lock, which a web worker's other threads then fight over).
  A value half written reads as neither the old nor the new one: changed.
  Each process looks again at most every second whether the file it mapped
  is still the one at its path (a folder removed and made again).

A bump writes a new random value, never a counter: a counter that starts again (Redis
keeps nothing on disk here) could come back to a value some process holds.
An absent stamp is never trusted: `current` gives None and nothing may be
kept or given again on it; `ensure` makes absent stamps. A failure to bump is
logged; what processes keep is still given again at most for the keeper's
own limit of age (extraction.polls: POLL_ANSWERS_MAX_AGE_S).
"""

from __future__ import annotations

import logging
import mmap
import os
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import signals

log = logging.getLogger(__name__)

_PREFIX = "cv2web:stamp:"


def _in_redis() -> bool:
    return settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


def _folder() -> Path:
    return Path(settings.DATA_DIR) / "run" / "stamps"


def keys_for(names: Iterable[str]) -> list[str]:
    """The cache keys to read (with get_many) for `current`; none for files."""
    return [_PREFIX + name for name in names] if _in_redis() else []


def current(names: tuple[str, ...], known: Mapping[str, Any]) -> tuple | None:
    """The stamps of `names` now, or None when any is absent or unreadable.
    `known`: what the caller read from the cache, the keys of `keys_for`
    among them (Redis); for files each is read here."""
    if _in_redis():
        values = tuple(known.get(_PREFIX + name) for name in names)
        return None if None in values else values
    folder = f"{settings.DATA_DIR}/run/stamps/"
    out = []
    for name in names:
        value = _mapped(folder + name)
        if value is None:
            return None
        out.append(value)
    return tuple(out)


_SIZE = 16
_ABSENT = bytes(_SIZE)
_RECHECK_S = 1.0


class _Map:
    __slots__ = ("map", "inode", "checked")

    def __init__(self, map_: mmap.mmap, inode: int) -> None:
        self.map, self.inode, self.checked = map_, inode, time.monotonic()


_maps: dict[str, _Map] = {}
_maps_lock = threading.Lock()


def _mapped(path: str) -> bytes | None:
    """The stamp in the file at `path`, through this process's map of it."""
    found = _maps.get(path)
    if found is not None and time.monotonic() - found.checked > _RECHECK_S:
        try:
            same = os.stat(path).st_ino == found.inode
        except OSError:
            same = False
        if same:
            found.checked = time.monotonic()
        else:
            with _maps_lock:
                _maps.pop(path, None)
            found = None
    if found is None:
        found = _map(path)
        if found is None:
            return None
    value = found.map[:_SIZE]
    return None if value == _ABSENT else value


def _map(path: str) -> _Map | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_size < _SIZE:
            return None  # being made
        found = _Map(mmap.mmap(fd, _SIZE, prot=mmap.PROT_READ), st.st_ino)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    with _maps_lock:
        _maps[path] = found
    return found


def read(names: tuple[str, ...]) -> tuple | None:
    """`current(names)` read on its own (one round trip with Redis)."""
    keys = keys_for(names)
    try:
        known = cache.get_many(keys) if keys else {}
    except Exception:  # noqa: BLE001 - the cache down: nothing is trusted
        return None
    return current(names, known)


def ensure(names: Iterable[str]) -> None:
    """Make the stamps of `names` that are absent (their first value)."""
    if _in_redis():
        try:
            for name in names:
                cache.add(_PREFIX + name, secrets.token_hex(8), timeout=None)
        except Exception:  # noqa: BLE001 - the cache down: read() stays None
            log.warning("change stamps: the cache did not answer", exc_info=True)
        return
    folder = _folder()
    for name in names:
        path = folder / name
        try:
            if path.stat().st_size >= _SIZE:
                continue
        except FileNotFoundError:
            pass
        _write(folder, name)


class _Bump:
    """An on_commit callback bumping `names`."""

    __slots__ = ("names",)

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names

    def __call__(self) -> None:
        bump_now(*self.names)


def bump(*names: str) -> None:
    """Change the stamps of `names` once the current transaction commits (at
    once outside one). Asked again in the same transaction (a cache hit saves
    a document and a job, both "jobs"), it is not bumped twice: a bump already
    waiting for `names` under the same savepoints is committed or rolled back
    with this one, so it stands for both."""
    conn = transaction.get_connection()
    if conn.in_atomic_block:
        sids = set(conn.savepoint_ids)
        for waiting_sids, func, _robust in conn.run_on_commit:
            if isinstance(func, _Bump) and waiting_sids == sids and set(names) <= set(func.names):
                return
    transaction.on_commit(_Bump(names))


def bump_now(*names: str) -> None:
    """Change the stamps of `names` now (after the writes they stand for)."""
    if _in_redis():
        try:
            cache.set_many({_PREFIX + name: secrets.token_hex(8) for name in names}, timeout=None)
        except Exception:  # noqa: BLE001 - logged; keepers' own age limit bounds the rest
            log.warning("change stamps: could not bump %s", ", ".join(names), exc_info=True)
        return
    folder = _folder()
    for name in names:
        try:
            _write(folder, name)
        except OSError:
            log.warning("change stamps: could not bump %s", name, exc_info=True)


def _write(folder: Path, name: str) -> None:
    """A new random value for `name`, written in place (every process's map
    of the file sees it)."""
    folder.mkdir(parents=True, exist_ok=True)
    value = secrets.token_bytes(_SIZE)
    while value == _ABSENT:
        value = secrets.token_bytes(_SIZE)
    fd = os.open(folder / name, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.pwrite(fd, value, 0)
    finally:
        os.close(fd)


class StampedQuerySet(models.QuerySet):
    """A QuerySet whose bulk writes (update, delete, bulk_create, bulk_update)
    bump `stamp_names` after commit. A model using it bumps on save and
    delete through `connect_model`: Model.save does not go through
    QuerySet.update. `stamp_ignores`: fields whose update alone changes
    nothing the stamps stand for (a "last used" note)."""

    stamp_names: tuple[str, ...] = ()
    stamp_ignores: frozenset[str] = frozenset()

    def update(self, **kwargs):
        changed = super().update(**kwargs)
        if changed and not set(kwargs) <= self.stamp_ignores:
            bump(*self.stamp_names)
        return changed

    update.alters_data = True  # type: ignore[attr-defined]

    def delete(self):
        deleted = super().delete()
        if deleted[0]:
            bump(*self.stamp_names)
        return deleted

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def bulk_create(self, objs, *args, **kwargs):
        made = super().bulk_create(objs, *args, **kwargs)
        if made:
            bump(*self.stamp_names)
        return made

    def bulk_update(self, objs, fields, *args, **kwargs):
        changed = super().bulk_update(objs, fields, *args, **kwargs)
        if changed and not set(fields) <= self.stamp_ignores:
            bump(*self.stamp_names)
        return changed


def connect_model(model, *names: str) -> None:
    """Bump `names` after every save and delete of `model`'s rows (cascades
    included: Django sends post_delete for each row it collects)."""

    def changed(sender, **kwargs):
        bump(*names)

    uid = f"cv2web.stamps:{model._meta.label}:{','.join(names)}"
    signals.post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid + ":save")
    signals.post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid + ":delete")
