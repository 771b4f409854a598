from django.urls import path

from . import api

urlpatterns = [
    path("extractions", api.ExtractionListCreate.as_view(), name="api-extractions"),
    path("extractions/batch", api.ExtractionBatch.as_view(), name="api-extractions-batch"),
    path("extractions/<uuid:pk>", api.ExtractionDetail.as_view(), name="api-extraction-detail"),
]
