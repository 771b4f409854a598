"""Pages for people: publish, preview, the private manage link, the dashboard.

Mount before `portfolios.urls`, whose `p/<slug>/<name>` would take `published`.
"""

from django.urls import path, register_converter

from . import pages


class ManageToken:
    """A manage token as new_token() makes them (43 url-safe characters); no
    word of the manage pages (edit, delete, theme, ...) can be taken for one."""

    regex = "[A-Za-z0-9_-]{32,128}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ManageAction:
    regex = "keep-alive|theme|archive|restore"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ManageToken, "manage-token")
register_converter(ManageAction, "manage-action")

app_name = "pages"

urlpatterns = [
    path("jobs/<uuid:pk>/review", pages.review, name="review"),
    path("jobs/<uuid:pk>/publish", pages.publish, name="publish"),
    path("jobs/<uuid:pk>/preview/<str:theme>", pages.preview, name="preview"),
    path("jobs/<uuid:pk>/preview/<str:theme>/style.css", pages.preview_css, name="preview-css"),
    path("p/<slug:slug>/published", pages.published, name="published"),
    path("p/<slug:slug>/keep-alive/<str:signed>", pages.keep_alive, name="keep-alive"),
    path("waiting/<uuid:pk>", pages.waiting, name="waiting"),
    # The manage pages: no secret in their addresses (the session says who may).
    path("p/<slug:slug>/manage/", pages.manage, name="manage"),
    path("p/<slug:slug>/manage/edit", pages.manage_edit, name="edit"),
    path("p/<slug:slug>/manage/delete", pages.manage_delete, name="delete"),
    path("p/<slug:slug>/manage/download/<str:name>", pages.manage_download, name="download"),
    path("p/<slug:slug>/manage/<manage-action:action>", pages.manage_action, name="action"),
    # The private link: trades its token for the session, then redirects. Old
    # links to a sub-page (.../<token>/edit) are traded the same way.
    path("p/<slug:slug>/manage/<manage-token:token>", pages.manage_with_token, name="manage-token"),
    path(
        "p/<slug:slug>/manage/<manage-token:token>/<path:rest>",
        pages.manage_with_token,
        name="manage-token-rest",
    ),
    path("portfolios/", pages.dashboard, name="dashboard"),
    path("portfolios/deleted", pages.deleted, name="deleted"),
    path("portfolios/<uuid:pk>/archive", pages.owner_archive, name="owner-archive"),
]
