"""Request-level protection: body size (SPEC Q-3) and client identity (Q-4)."""

from __future__ import annotations

import json
import tempfile

from django.conf import settings
from django.template.loader import render_to_string

from cv2web.errors import is_api_path, too_large_body, too_large_response

from .identity import client_bucket, client_ip


def body_limit(path: str, content_type: str) -> int:
    """The most bytes a request to `path` with this body type may send."""
    limit = settings.MAX_REQUEST_SIZE
    form_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if (
        is_api_path(path)
        and form_limit is not None
        and not content_type.lower().startswith("multipart/form-data")
    ):
        # The API reads such bodies (JSON) into memory, and Django refuses
        # them past DATA_UPLOAD_MAX_MEMORY_SIZE anyway: say so before reading.
        limit = min(limit, form_limit)
    return limit


class RequestSizeLimitMiddleware:
    """Refuse a declared-oversized body before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = body_limit(request.path, request.META.get("CONTENT_TYPE", ""))
        if length > limit:
            return too_large_response(request.path, limit)
        request.client_ip = client_ip(request.META)
        request.client_bucket = client_bucket(request.client_ip)
        response = self.get_response(request)
        if getattr(request, "upload_too_large", False):
            # The upload handler stopped a body that ran past the limit.
            return too_large_response(request.path)
        return response


class ChunkedBodyLimiter:
    """WSGI wrapper: bodies sent without Content-Length (chunked) are spooled
    to a temporary file, stopped at MAX_REQUEST_SIZE, and handed to Django with
    a Content-Length; Django would otherwise read such a body as empty."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            limit = settings.MAX_REQUEST_SIZE
            # Handed on as the request body; closed with the request.
            spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115
                max_size=1024 * 1024, dir=settings.TMP_DIR
            )
            size = 0
            stream = environ["wsgi.input"]
            while True:
                chunk = stream.read(64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    spool.close()
                    return self._refuse(environ, start_response)
                spool.write(chunk)
            spool.seek(0)
            environ["wsgi.input"] = spool
            environ["CONTENT_LENGTH"] = str(size)
        return self.app(environ, start_response)

    @staticmethod
    def _refuse(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if is_api_path(path):
            body = json.dumps(too_large_body()).encode()
            ctype = "application/json"
        else:
            limit_mb = settings.MAX_REQUEST_SIZE / (1024 * 1024)
            body = render_to_string("errors/413.html", {"limit_mb": f"{limit_mb:.1f}"}).encode()
            ctype = "text/html; charset=utf-8"
        start_response(
            "413 Content Too Large",
            [
                ("Content-Type", ctype),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
            ],
        )
        return [body]


class QuotaHeadersMiddleware:
    """API answers carry the caller's daily allowance (SPEC Q-1)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/") and "X-Quota-Limit" not in response:
            # Here, not at the top: cv2web.wsgi imports this module before
            # Django is set up, and policy imports models.
            from .policy import usage_of

            usage = getattr(request, "quota_usage", None) or usage_of(request)
            for name, value in usage.headers().items():
                response[name] = value
        return response
