"""URL map of cv2web: one mount point per app."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from quotas.ratelimits import limit_logins

from .docs import ApiDocsView


def favicon(request):
    # Resolved per request: the hashed name exists only after collectstatic.
    from django.http import HttpResponsePermanentRedirect
    from django.templatetags.static import static

    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    # Browsers ask for /favicon.ico on every page that names no icon.
    path("favicon.ico", favicon),
    # Staff: the Django admin. Its log-in form is limited like every other one
    # (SPEC S-5), sharing the "login" budget; this pattern must come first.
    path("admin/login/", limit_logins(admin.site.login)),
    path("admin/", admin.site.urls),
    # People with an account: sign-up, log-in, passwords, usage, API tokens.
    path("accounts/", include("quotas.urls")),
    # API consumers: DRF under /api/v1/, its OpenAPI schema and local docs.
    # (Portfolios' API, /api/v1/portfolios and /api/v1/status, is mounted with
    # the rest of portfolios below, so one namespace holds all of its URLs.)
    path("api/v1/", include("extraction.api_urls")),
    path("api/v1/", include("monitoring.api_urls")),
    # API consumers: webhook endpoints, signing secret, upload batches.
    path("api/v1/", include("webhooks.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    # Operations: /healthz, /readyz and /metrics for load balancers and scrapers.
    path("", include("monitoring.urls")),
    # People: publishing, the waiting list, managing and the dashboard; the
    # public: published portfolios served from their sandboxes, and /status;
    # API consumers: /api/v1/portfolios. (Its routes do not depend on order.)
    path("", include("portfolios.urls")),
    # People: the upload page and job pages.
    path("", include("extraction.urls")),
]

# Errors Django answers itself (no URL matched, a SuspiciousOperation, a 500):
# JSON under /api/, the site's pages elsewhere.
handler400 = "cv2web.errors.bad_request"
handler403 = "cv2web.errors.permission_denied"
handler404 = "cv2web.errors.page_not_found"
handler500 = "cv2web.errors.server_error"
