from django.urls import path

from . import views

app_name = "portfolios"

urlpatterns = [
    path("status", views.status_page, name="status"),
    path("p/<slug:slug>/", views.public, name="public"),
    path("p/<slug:slug>/<str:name>", views.public, name="public-file"),
]
