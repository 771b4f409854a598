"""Monitoring under /api/v1/ (SPEC A): the service status, and the M-2 metrics for staff."""

from django.urls import path

from .api import Metrics, ServiceStatus

urlpatterns: list = [
    path("metrics", Metrics.as_view(), name="api-metrics"),
    path("status", ServiceStatus.as_view(), name="api-status"),
]
