"""Health endpoints for load balancers and orchestrators (SPEC M-5).

- `/healthz`: the process answers. Touches nothing else (no database, no
  cache), so a database outage never gets healthy web processes restarted.
- `/readyz`: this process can serve: the database answers `SELECT 1`, the
  cache does a set/get round trip, and some worker has beaten within
  WORKER_HEARTBEAT_MAX_AGE_S. 503 names the failing parts.

Plain Django views: no DRF throttles, no quota counting (quotas' middleware
only counts `/api/v1/`), no session or CSRF needed. Failures are logged
here and never reach the client as a traceback.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from . import alerts, heartbeat

log = logging.getLogger(__name__)

OK = "ok"


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        log.warning("readyz: database check failed", exc_info=True)
        return "unreachable"
    return OK


def check_cache() -> str:
    # A key of its own per probe: concurrent probes from several processes
    # cannot overwrite each other's value, and the key is removed at once (a
    # local-memory cache culls real entries when it fills up).
    key = f"cv2web:readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, key, timeout=10)
        value = cache.get(key)
        cache.delete(key)
    except Exception:
        log.warning("readyz: cache check failed", exc_info=True)
        return "unreachable"
    return OK if value == key else "round trip failed"


def check_worker() -> str:
    try:
        age = heartbeat.age_seconds()
    except Exception:
        log.warning("readyz: worker heartbeat unreadable", exc_info=True)
        return "heartbeat unreadable"
    if age is None:
        return "no heartbeat"
    if age > settings.WORKER_HEARTBEAT_MAX_AGE_S:
        return f"no heartbeat for {int(age)} s"
    return OK


@csrf_exempt
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@csrf_exempt
@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": check_database(), "cache": check_cache()}
    # The heartbeat is in the database: without one, it cannot be read.
    checks["worker"] = check_worker() if checks["database"] == OK else "not checked"
    failing = [name for name, result in checks.items() if result not in (OK, "not checked")]
    if checks["database"] == OK:
        _update_worker_alert()
    if not failing:
        return JsonResponse({"status": "ready", "checks": checks})
    log.warning("readyz: not ready", extra={"failing": failing, "checks": checks})
    response = JsonResponse(
        {"status": "unavailable", "failing": failing, "checks": checks}, status=503
    )
    # Logged above as a warning; without this Django logs every failed probe
    # as a server error (and mails ADMINS about each).
    response._has_been_logged = True
    return response


def _update_worker_alert() -> None:
    """Open (or resolve) the worker alert from here too: when the workers are
    down, the scheduled alert check, which runs on a worker, cannot."""
    try:
        alerts.evaluate([alerts.worker_reading()])
    except Exception:
        log.warning("readyz: could not update the worker alert", exc_info=True)
