from django.urls import path

from . import api

urlpatterns = [
    path("portfolios", api.PortfolioListCreate.as_view(), name="api-portfolios"),
    path("portfolios/<uuid:pk>", api.PortfolioDetail.as_view(), name="api-portfolio-detail"),
    path(
        "portfolios/<uuid:pk>/keep-alive",
        api.PortfolioAction.as_view(action="keep-alive"),
        name="api-portfolio-keep-alive",
    ),
    path(
        "portfolios/<uuid:pk>/archive",
        api.PortfolioAction.as_view(action="archive"),
        name="api-portfolio-archive",
    ),
    path(
        "portfolios/<uuid:pk>/restore",
        api.PortfolioAction.as_view(action="restore"),
        name="api-portfolio-restore",
    ),
    path(
        "portfolios/<uuid:pk>/download/<str:name>",
        api.PortfolioDownload.as_view(),
        name="api-portfolio-download",
    ),
    path("status", api.ServiceStatus.as_view(), name="api-status"),
]
