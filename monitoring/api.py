"""Monitoring under /api/v1/ (SPEC A): the service status for everyone, the M-2
metrics for staff only."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from types import EllipsisType
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import request_finished, request_started
from django.http import HttpResponse
from django.utils.http import quote_etag
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from cv2web.fastpath import Answer, ConstantAnswers
from cv2web.logs import REQUEST_ID_HEADER, new_request_id, sane_request_id
from quotas.identity import client_bucket, client_ip
from quotas.policy import usage_key_of, usage_of
from quotas.ratelimits import CHEAP_READ_DECISION, CheapReadThrottle, check_all, check_and_read

from . import metrics
from .serializers import MetricsSerializer, StatusSerializer
from .status import service_status

log = logging.getLogger(__name__)
STATUS_KEY = "cv2web:api-status"
STATUS_PATH = "/api/v1/status"
_PLAIN_ACCEPT = ("*/*", "application/json")


def public_status_payload(known: Mapping[str, Any] | None = None) -> dict:
    """What /api/v1/status answers, computed at most every STATUS_CACHE_SECONDS
    and shared through the cache: people polling it cost one cache read, not
    the eight queries of the status (staff's dashboard and the alerts read
    service_status() itself). `known`: cache entries the caller has read with
    STATUS_KEY among them (one round trip for several)."""
    ttl = settings.STATUS_CACHE_SECONDS
    payload = None
    if ttl > 0 and known is not None:
        payload = known.get(STATUS_KEY)
    elif ttl > 0:
        try:
            payload = cache.get(STATUS_KEY)
        except Exception:  # a cache outage costs the queries, never the answer
            log.warning("status: the cache did not answer", exc_info=True)
    if not isinstance(payload, dict):
        payload = dict(StatusSerializer(service_status()).data)
        if ttl > 0:
            try:
                cache.set(STATUS_KEY, payload, timeout=ttl)
            except Exception:
                log.warning("status: the cache did not answer", exc_info=True)
    return payload


def _read_status_and_usage(usage_key: str) -> dict | None:
    """The cached status and the caller's cached count (at `usage_key`), read
    together: one round trip to Redis, not two (issue 13). None when the
    status is not cached at all (STATUS_CACHE_SECONDS 0); {} when the cache
    failed."""
    if settings.STATUS_CACHE_SECONDS <= 0:
        return None
    try:
        return cache.get_many([STATUS_KEY, usage_key])
    except Exception:  # a cache outage costs the queries, never the answer
        log.warning("status: the cache did not answer", exc_info=True)
        return {}


def status_with_usage(request, known: dict | None | EllipsisType = ...) -> dict:
    """`public_status_payload()`, and the caller's count for the X-Quota-*
    headers that QuotaHeadersMiddleware adds (on the request), read from the
    cache together. `known`: that read, made already by the caller."""
    if known is ...:
        known = _read_status_and_usage(usage_key_of(request))
    if known is None:
        return public_status_payload()
    payload = public_status_payload(known)
    # On Django's request, which DRF's wraps: the middleware reads it there.
    django_request: Any = getattr(request, "_request", request)
    django_request.quota_usage = usage_of(request, known=known)
    return payload


class Metrics(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        summary="The M-2 metrics now (staff only)",
        responses={
            200: MetricsSerializer,
            401: OpenApiResponse(description="Not authenticated."),
            403: OpenApiResponse(description="Not a staff member."),
        },
    )
    def get(self, request):
        return Response(MetricsSerializer(metrics.snapshot()).data)


class ServiceStatus(APIView):
    # A cheap public read, polled: its own generous limit (SPEC Q-2).
    throttle_classes = [CheapReadThrottle]

    @extend_schema(
        summary="Capacity and queues, as the public status page shows them",
        responses=StatusSerializer,
    )
    def get(self, request):
        return Response(status_with_usage(request))

    def dispatch(self, request, *args, **kwargs):
        if request.method in ("GET", "HEAD"):
            answer = self._quick_status(request)
            if answer is not None:
                return answer
        return super().dispatch(request, *args, **kwargs)

    def _quick_status(self, request) -> HttpResponse | None:
        """The answer to an anonymous read of the status without DRF's request,
        negotiation and exception machinery (issue 13): the same body, status
        and headers as `get` through DRF; None for anything else (credentials,
        a signed-in session, an Accept header or query string DRF would judge,
        a refusal by the rate limit), which DRF then answers as before. The
        rate limit is counted once either way: DRF's throttle reuses the
        decision made here (CheapReadThrottle)."""
        meta = request.META
        if meta.get("QUERY_STRING") or meta.get("HTTP_ACCEPT", "*/*") not in _PLAIN_ACCEPT:
            return None
        if "HTTP_AUTHORIZATION" in meta or hasattr(request, "_force_auth_user"):
            return None  # a token (or a test's forced user): DRF authenticates
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return None  # a session: DRF's SessionAuthentication decides
        # As DRF's Request leaves them on the request middleware sees.
        request.user, request.auth = AnonymousUser(), None
        # Counted already by StatusAnswers, which left the refusal to Django.
        decision = meta.get(CHEAP_READ_DECISION) or check_all(
            request, CheapReadThrottle.limits_of()
        )
        request.cheap_read_decision = decision
        if decision.limited:
            return None
        body = JSONRenderer().render(status_with_usage(request))
        response = HttpResponse(body, content_type="application/json")
        response["Allow"] = ", ".join(self.allowed_methods)
        return response


class StatusAnswers(ConstantAnswers):
    """Anonymous reads of /api/v1/status answered before Django builds a request
    (settings.WSGI_FAST_PATHS, cv2web.fastpath; issue 13): the rate limit
    counted, the cached status and the caller's allowance read together, and
    the headers of Django's first answer to such a read given again, those
    that depend on the body, the caller or the request made anew. Declined,
    for Django to answer as before: whatever ConstantAnswers declines (a
    cookie, credentials, a query string, a conditional request, a Host Django
    would refuse), an Accept header DRF would judge, and a refusal by the
    rate limit, whose decision Django then reuses rather than counting again.
    """

    made_here = frozenset(
        {"x-request-id", "content-length", "etag", "x-quota-limit", "x-quota-remaining"}
        | {"x-quota-reset"}
    )

    def __init__(self) -> None:
        super().__init__([STATUS_PATH])

    def _plain(self, environ: dict) -> bool:
        return environ.get("HTTP_ACCEPT", "*/*") in _PLAIN_ACCEPT and super()._plain(environ)

    def __call__(self, environ: dict) -> Answer | None:
        kept = self.kept.get(self.kept_key(environ))
        if kept is None or not self._plain(environ):
            return None
        # Django's request, with what the middleware would have set on it.
        request: Any = WSGIRequest(environ)
        request.client_ip = client_ip(environ)
        request.client_bucket = client_bucket(request.client_ip)
        request.user, request.auth = AnonymousUser(), None
        # Cheap reads' limits fail open: counting them asks no database. The
        # count and the cached status and allowance: one round trip to Redis.
        usage_key = usage_key_of(request)
        decision, read = check_and_read(
            request, CheapReadThrottle.limits_of(), [STATUS_KEY, usage_key]
        )
        # Django reuses it if it answers after all (a refusal, a failure).
        environ[CHEAP_READ_DECISION] = decision
        if decision.limited:
            return None
        # As _read_status_and_usage: None when the status is not cached at
        # all, {} when the cache failed.
        known = None if settings.STATUS_CACHE_SECONDS <= 0 else (read or {})
        payload = known.get(STATUS_KEY) if known else None
        if isinstance(payload, dict) and known and usage_key in known:
            # Both in the cache: nothing asks the database.
            usage = usage_of(request, known=known)
        else:
            # Django's request signals, as its handler sends them: a database
            # connection the status or the allowance takes goes back after.
            request_started.send(sender=self.__class__, environ=environ)
            try:
                payload = status_with_usage(request, known)
                usage = getattr(request, "quota_usage", None) or usage_of(request)
            finally:
                request_finished.send(sender=self.__class__)
        body = JSONRenderer().render(payload)
        headers = [
            *kept.headers,
            ("Content-Length", str(len(body))),
            ("ETag", quote_etag(hashlib.md5(body, usedforsecurity=False).hexdigest())),
            *usage.headers().items(),
            (
                REQUEST_ID_HEADER,
                sane_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id(),
            ),
        ]
        return Answer(kept.route, 200, kept.status_line, headers, [body])


def fast_status() -> StatusAnswers:
    """The answerer of settings.WSGI_FAST_PATHS for anonymous status reads."""
    return StatusAnswers()
