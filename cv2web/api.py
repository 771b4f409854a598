"""Project-wide API conventions: every error answer has the same JSON shape,
`{"error": "<machine_code>", "message": "<sentence>", ...}`.

Every answer given here is a refusal we chose (4xx, `queue_full` 503): it is
logged once at WARNING and never mailed to ADMINS (cv2web.errormail). An
exception this handler does not know is a bug: Django logs it at ERROR, mails
it (at most once per kind and interval) and answers with cv2web.errors'
JSON 500.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import Refusal, too_large_body
from .parsers import InvalidJSON

log = logging.getLogger("cv2web.api")


class APIError(exceptions.APIException):
    """An error with our machine code, a sentence and optional extra fields."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status_code: int = 400,
        headers: dict | None = None,
        **extra,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code
        self.headers = headers or {}
        self.extra = extra


_CODES = {
    InvalidJSON: "invalid_json",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "invalid_request",
    exceptions.Throttled: "rate_limited",
    exceptions.ValidationError: "invalid_request",
}

_MESSAGES = {
    "not_found": "Not found.",
    "invalid_request": "The request is not valid.",
}


def error_response(code: str, message: str, status_code: int, *, headers=None, **extra):
    return Response(
        {"error": code, "message": message, **extra}, status=status_code, headers=headers
    )


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: our JSON shape for every refusal, logged as one."""
    response = _refusal(exc, context)
    request = context.get("request")
    if response is not None and request is not None:
        log_refusal(request, response)
    return response


def log_refusal(request, response) -> None:
    """One line per refusal, with its code: INFO, or WARNING for the ones that
    say the service is under pressure (429, 503). Marked as logged, since
    Django would log a 503 again at ERROR, which mails ADMINS."""
    status_code = response.status_code
    code = response.data.get("error", "") if isinstance(response.data, dict) else ""
    log.log(
        logging.WARNING if status_code in (429, 503) else logging.INFO,
        "refused %s %s: %s %s",
        request.method,
        request.path,
        status_code,
        code,
        extra={"status_code": status_code, "error": code},
    )
    response._has_been_logged = True


def _suspicious(exc: SuspiciousOperation) -> Response:
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(too_large_body(limit), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return error_response("too_many_files", f"Send at most {limit} files in one request.", 400)
    if isinstance(exc, TooManyFieldsSent):
        return error_response("too_many_fields", "The request has too many form fields.", 400)
    return error_response("bad_request", "The request could not be understood.", 400)


def _refusal(exc, context):
    if isinstance(exc, SuspiciousOperation):
        return _suspicious(exc)
    if isinstance(exc, Refusal):
        # An app's own refusal (a bad file, a full queue, a used-up quota):
        # the app says how it is answered; core knows none of them.
        return error_response(
            exc.code, exc.message, exc.status, headers=exc.answer_headers(), **exc.answer_extra()
        )
    if isinstance(exc, APIError):
        return error_response(
            exc.code, exc.message, exc.status_code, headers=exc.headers, **exc.extra
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        response["Retry-After"] = str(wait)
        response.data = {
            "error": code,
            "message": f"Too many requests. Please wait {wait} seconds before trying again.",
            "retry_after_seconds": wait,
        }
        return response
    if isinstance(exc, exceptions.ValidationError):
        message = _MESSAGES["invalid_request"]
        response.data = {"error": code, "message": message, "fields": exc.detail}
    else:
        detail = getattr(exc, "detail", "")
        response.data = {"error": code, "message": str(detail) or _MESSAGES.get(code, code)}
    return response
