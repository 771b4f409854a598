"""SPEC Q-3: bodies over MAX_REQUEST_SIZE are refused with 413 before they are read."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from extraction.models import Document

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 10 * 1024 * 1024
EXPECTED = {
    "error": "request_too_large",
    "message": "Request body too large. Maximum size is 10.0MB",
    "max_size_bytes": LIMIT,
}


class Untouchable(io.RawIOBase):
    """A request body that fails the test if anyone reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = readinto = read


def call(environ_extra: dict, body) -> tuple[str, dict, bytes]:
    from django.test.client import RequestFactory

    from cv2web.wsgi import application

    environ = RequestFactory()._base_environ(
        PATH_INFO="/api/v1/extractions",
        REQUEST_METHOD="POST",
        CONTENT_TYPE="multipart/form-data; boundary=XyZ",
        **environ_extra,
    )
    environ["wsgi.input"] = body
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, dict(headers)

    content = b"".join(application(environ, start_response))
    return captured["status"], captured["headers"], content


def multipart(data: bytes, name: str = "cv.txt") -> bytes:
    return (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="'
        + name.encode()
        + b'"\r\nContent-Type: text/plain\r\n\r\n'
        + data
        + b"\r\n--XyZ--\r\n"
    )


def test_a_declared_oversized_body_is_refused_before_it_is_read():
    status, headers, content = call({"CONTENT_LENGTH": str(LIMIT + 1)}, Untouchable())
    assert status.startswith("413")
    assert json.loads(content) == EXPECTED


def test_the_upload_page_gets_a_page_not_json(client):
    r = client.post("/", {"file": SimpleUploadedFile("cv.pdf", b"x" * (LIMIT + 1))})
    assert r.status_code == 413
    assert b"too large" in r.content and r["Content-Type"].startswith("text/html")


def test_api_upload_of_10_mib_plus_one_byte_is_413_with_the_exact_body(api):
    r = api.post(
        "/api/v1/extractions",
        {"file": SimpleUploadedFile("cv.pdf", b"%PDF-" + b"x" * (LIMIT - 4))},
        format="multipart",
    )
    assert r.status_code == 413
    assert r.json() == EXPECTED
    assert Document.objects.count() == 0


def test_a_chunked_body_without_content_length_is_stopped_at_the_limit():
    body = io.BytesIO(multipart(b"a" * (LIMIT + 1)))
    status, _headers, content = call({"HTTP_TRANSFER_ENCODING": "chunked"}, body)
    assert status.startswith("413")
    assert json.loads(content) == EXPECTED
    # Stopped at the limit: not everything was consumed.
    assert body.tell() <= LIMIT + 128 * 1024
    assert Document.objects.count() == 0


def test_a_small_chunked_upload_goes_through():
    body = io.BytesIO(multipart(b"Jane Example\njane@example.com\n"))
    status, _headers, content = call({"HTTP_TRANSFER_ENCODING": "chunked"}, body)
    assert status.startswith("202"), content
    assert Document.objects.count() == 1


@pytest.mark.parametrize("memory_size", [1024 * 1024, 0], ids=["held in memory", "spooled"])
def test_the_upload_handler_stops_a_file_over_the_upload_limit(api, settings, memory_size):
    settings.MAX_UPLOAD_BYTES = 1000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = memory_size
    r = api.post(
        "/api/v1/extractions",
        {"file": SimpleUploadedFile("cv.txt", b"a" * 5000)},
        format="multipart",
    )
    assert r.status_code == 413
    assert Document.objects.count() == 0
