"""Upload handlers that stop at the limit: a small request's file is held in
memory, a larger one streamed to a temporary file."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import (
    MemoryFileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)


class _Limited:
    """Past MAX_UPLOAD_BYTES for one file, or MAX_REQUEST_SIZE for all of
    them, the upload stops and the request is marked to be answered 413."""

    request_bytes = 0
    file_bytes = 0

    def new_file(self, *args, **kwargs):
        self.file_bytes = 0
        return super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self.request_bytes += len(raw_data)
        self.file_bytes += len(raw_data)
        if (
            self.file_bytes > settings.MAX_UPLOAD_BYTES
            or self.request_bytes > settings.MAX_REQUEST_SIZE
        ):
            if self.request is not None:
                self.request.upload_too_large = True
            if getattr(self, "file", None) is not None:
                self.file.close()
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


class LimitedMemoryFileUploadHandler(_Limited, MemoryFileUploadHandler):
    """A request whose whole body is at most FILE_UPLOAD_MAX_MEMORY_SIZE keeps
    its files in memory (the later handlers see none of it): most CVs are far
    smaller, and a cache hit then never touches the disk (issue 13)."""


class LimitedTemporaryFileUploadHandler(_Limited, TemporaryFileUploadHandler):
    """Streams each file to disk (a request too large to keep in memory)."""
