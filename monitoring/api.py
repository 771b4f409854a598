"""Monitoring under /api/v1/ (SPEC A): the service status for everyone, the M-2
metrics for staff only."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from quotas.ratelimits import CheapReadThrottle

from . import metrics
from .serializers import MetricsSerializer, StatusSerializer
from .status import service_status

log = logging.getLogger(__name__)
_STATUS_KEY = "cv2web:api-status"


def public_status_payload() -> dict:
    """What /api/v1/status answers, computed at most every STATUS_CACHE_SECONDS
    and shared through the cache: people polling it cost one cache read, not
    the eight queries of the status (staff's dashboard and the alerts read
    service_status() itself)."""
    ttl = settings.STATUS_CACHE_SECONDS
    payload = None
    if ttl > 0:
        try:
            payload = cache.get(_STATUS_KEY)
        except Exception:  # a cache outage costs the queries, never the answer
            log.warning("status: the cache did not answer", exc_info=True)
    if not isinstance(payload, dict):
        payload = dict(StatusSerializer(service_status()).data)
        if ttl > 0:
            try:
                cache.set(_STATUS_KEY, payload, timeout=ttl)
            except Exception:
                log.warning("status: the cache did not answer", exc_info=True)
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
        return Response(public_status_payload())
