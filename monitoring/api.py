"""Monitoring under /api/v1/ (SPEC A): the service status for everyone, the M-2
metrics for staff only."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from . import metrics
from .serializers import MetricsSerializer, StatusSerializer
from .status import service_status


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
    @extend_schema(
        summary="Capacity and queues, as the public status page shows them",
        responses=StatusSerializer,
    )
    def get(self, request):
        return Response(StatusSerializer(service_status()).data)
