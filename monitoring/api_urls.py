"""Monitoring under /api/v1/ (SPEC A): the M-2 metrics, for staff."""

from django.urls import path

from .api import Metrics

urlpatterns: list = [
    path("metrics", Metrics.as_view(), name="api-metrics"),
]
