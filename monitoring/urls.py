"""Operations endpoints (SPEC M-5): health, readiness, the Prometheus scrape,
and the public status page."""

from django.urls import path

from .health import healthz, readyz
from .prometheus import metrics_view
from .views import status_page

urlpatterns: list = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("status", status_page, name="status"),
]
