"""Django's error views (handler400/403/404/500): JSON under /api/, pages elsewhere.

DRF answers errors raised inside its views; these answer the rest: a path
that matches no URL (`/api/v1/nothing`, `/api/v1/extractions/not-a-uuid`),
a `SuspiciousOperation` raised outside a view, and any 500. API clients then
always get `{"error": "<code>", "message": "<sentence>"}`, never an HTML page.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from quotas.middleware import is_api_path, too_large_body, too_large_response


def _json(code: str, message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE is "too large" (SPEC Q-3), not "bad".
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if is_api_path(request.path):
            return JsonResponse(too_large_body(limit), status=413)
        return too_large_response(request.path, limit)
    if is_api_path(request.path):
        return _json("bad_request", "The request could not be understood.", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_path(request.path):
        return _json("permission_denied", "You may not do this.", 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_path(request.path):
        return _json("not_found", "Not found.", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return _json(
            "server_error",
            "Something went wrong on our side; it has been logged. Please try again later.",
            500,
        )
    return defaults.server_error(request)
