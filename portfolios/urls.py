"""Every URL of portfolios, in the `portfolios` namespace: the pages people use
to publish and manage, the published sites, and the API under /api/v1/.

No route depends on the order of the others: the converters below keep the
words of the manage pages, the site's file names and manage tokens apart
(`/p/<slug>/published` is never taken for a file of the site).
"""

import re

from django.urls import include, path, register_converter

from . import api
from .sandbox import FILES
from .views import manage, public, publish


class _Word:
    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ManageToken(_Word):
    """A manage token as new_token() makes them (43 url-safe characters); no
    word of the manage pages (edit, delete, theme, ...) can be taken for one."""

    regex = "[A-Za-z0-9_-]{32,128}"


class ManageAction(_Word):
    regex = "keep-alive|theme|privacy|archive|restore"


class SiteFile(_Word):
    """A file a sandbox serves (index.html, style.css, ...), and nothing else."""

    regex = "|".join(re.escape(name) for name in FILES)


register_converter(ManageToken, "manage-token")
register_converter(ManageAction, "manage-action")
register_converter(SiteFile, "site-file")

app_name = "portfolios"

# The public: published portfolios, served from their sandboxes (/status is monitoring's).
public_patterns = [
    path("p/<slug:slug>/", public.public, name="public"),
    path("p/<slug:slug>/<site-file:name>", public.public, name="public-file"),
    path("p/<slug:slug>/unlock", public.unlock, name="unlock"),
]

# People: publishing from an extraction, the waiting list, managing, the dashboard.
page_patterns = [
    path("jobs/<uuid:pk>/review", publish.review, name="review"),
    path("jobs/<uuid:pk>/publish", publish.publish, name="publish"),
    path("jobs/<uuid:pk>/preview/<str:theme>", publish.preview, name="preview"),
    path("jobs/<uuid:pk>/preview/<str:theme>/style.css", publish.preview_css, name="preview-css"),
    path("p/<slug:slug>/published", publish.published, name="published"),
    path("p/<slug:slug>/keep-alive/<str:signed>", manage.keep_alive, name="keep-alive"),
    path("waiting/<uuid:pk>", publish.waiting, name="waiting"),
    # The manage pages: no secret in their addresses (the session says who may).
    path("p/<slug:slug>/manage/", manage.manage, name="manage"),
    path("p/<slug:slug>/manage/edit", manage.manage_edit, name="edit"),
    path("p/<slug:slug>/manage/delete", manage.manage_delete, name="delete"),
    path("p/<slug:slug>/manage/pdf", manage.manage_pdf, name="pdf"),
    path("p/<slug:slug>/manage/download/<str:name>", manage.manage_download, name="download"),
    path("p/<slug:slug>/manage/<manage-action:action>", manage.manage_action, name="action"),
    # The private link: trades its token for the session, then redirects. Old
    # links to a sub-page (.../<token>/edit) are traded the same way.
    path(
        "p/<slug:slug>/manage/<manage-token:token>", manage.manage_with_token, name="manage-token"
    ),
    path(
        "p/<slug:slug>/manage/<manage-token:token>/<path:rest>",
        manage.manage_with_token,
        name="manage-token-rest",
    ),
    path("portfolios/", manage.dashboard, name="dashboard"),
    path("portfolios/deleted", manage.deleted, name="deleted"),
    path("portfolios/<uuid:pk>/archive", manage.owner_archive, name="owner-archive"),
]

# API consumers (SPEC A), mounted under /api/v1/ below.
api_patterns = [
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
    path("portfolios/<uuid:pk>/pdf", api.PortfolioPdf.as_view(), name="api-portfolio-pdf"),
    path(
        "portfolios/<uuid:pk>/download/<str:name>",
        api.PortfolioDownload.as_view(),
        name="api-portfolio-download",
    ),
]

urlpatterns = [
    *public_patterns,
    *page_patterns,
    # Inside this module, so that one namespace holds every portfolio URL
    # (two includes of one app namespace could not both be reversed).
    path("api/v1/", include(api_patterns)),
]
