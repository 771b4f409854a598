"""Pages for people: publish, preview, the private manage link, the dashboard.

Mount before `portfolios.urls`, whose `p/<slug>/<name>` would take `published`.
"""

from django.urls import path

from . import pages

app_name = "pages"

urlpatterns = [
    path("jobs/<uuid:pk>/review", pages.review, name="review"),
    path("jobs/<uuid:pk>/publish", pages.publish, name="publish"),
    path("jobs/<uuid:pk>/preview/<str:theme>", pages.preview, name="preview"),
    path("jobs/<uuid:pk>/preview/<str:theme>/style.css", pages.preview_css, name="preview-css"),
    path("p/<slug:slug>/published", pages.published, name="published"),
    path("p/<slug:slug>/keep-alive/<str:signed>", pages.keep_alive, name="keep-alive"),
    path("waiting/<uuid:pk>", pages.waiting, name="waiting"),
    path("p/<slug:slug>/manage/<str:token>", pages.manage, name="manage"),
    path("p/<slug:slug>/manage/<str:token>/delete", pages.manage_delete, name="delete"),
    path("p/<slug:slug>/manage/<str:token>/edit", pages.manage_edit, name="edit"),
    path("p/<slug:slug>/manage/<str:token>/<str:action>", pages.manage_action, name="action"),
    path("portfolios/", pages.dashboard, name="dashboard"),
    path("portfolios/deleted", pages.deleted, name="deleted"),
    path("portfolios/<uuid:pk>/archive", pages.owner_archive, name="owner-archive"),
]
