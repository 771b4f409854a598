"""Operations endpoints (SPEC M-5): health, readiness and the Prometheus scrape."""

from django.urls import path

from .health import healthz, readyz
from .prometheus import metrics_view

urlpatterns: list = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]
