from django.urls import path

from . import api

urlpatterns = [
    path("webhooks", api.EndpointListCreate.as_view(), name="api-webhooks"),
    path("webhooks/secret", api.SecretRotate.as_view(), name="api-webhook-secret"),
    path("webhooks/<uuid:pk>", api.EndpointDetail.as_view(), name="api-webhook-detail"),
    path("batches/<uuid:pk>", api.BatchDetail.as_view(), name="api-webhook-batch"),
]
