"""Error answers: Django's error views (handler400/403/404/500), JSON under
/api/ and pages elsewhere; the body-too-large answer (SPEC Q-3); and `Refusal`,
the base of every app's deliberate refusal, which cv2web.api answers without
knowing the apps (core imports no app).

DRF answers errors raised inside its views; these answer the rest: a path
that matches no URL (`/api/v1/nothing`, `/api/v1/extractions/not-a-uuid`),
a `SuspiciousOperation` raised outside a view, and any 500. API clients then
always get `{"error": "<code>", "message": "<sentence>"}`, never an HTML page.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults


class Refusal(Exception):
    """A request refused on purpose (a bad file, a full queue, a used-up quota).

    The app that raises it says how it is answered: `code`, `message`,
    `status`, and optionally headers and extra fields of the JSON body.
    """

    code = "error"
    message = ""
    status = 400

    def answer_headers(self) -> dict[str, str]:
        return {}

    def answer_extra(self) -> dict:
        return {}


def too_large_body(limit: int | None = None) -> dict:
    """SPEC Q-3's JSON body for a refused body; `limit` defaults to MAX_REQUEST_SIZE."""
    limit = settings.MAX_REQUEST_SIZE if limit is None else limit
    return {
        "error": "request_too_large",
        "message": f"Request body too large. Maximum size is {limit / (1024 * 1024):.1f}MB",
        "max_size_bytes": limit,
    }


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def too_large_response(path: str, limit: int | None = None) -> HttpResponse:
    limit = settings.MAX_REQUEST_SIZE if limit is None else limit
    if is_api_path(path):
        response = JsonResponse(too_large_body(limit), status=413)
    else:
        limit_mb = limit / (1024 * 1024)
        response = HttpResponse(
            render_to_string("errors/413.html", {"limit_mb": f"{limit_mb:.1f}"}), status=413
        )
    # We answer without reading the body; the connection cannot be reused.
    response["Connection"] = "close"
    return response


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
