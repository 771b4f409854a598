"""Upload handler that streams to a temporary file and stops at the limit."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Streams each file to disk; past MAX_UPLOAD_BYTES for one file, or
    MAX_REQUEST_SIZE for all of them, the upload stops and the request is
    marked to be answered 413."""

    def __init__(self, request=None):
        super().__init__(request)
        self.request_bytes = 0
        self.file_bytes = 0

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
            if self.file is not None:
                self.file.close()
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)
