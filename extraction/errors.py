"""Errors of the extraction pipeline, each with a machine code and a sentence."""

from __future__ import annotations

from cv2web.errors import Refusal


class ExtractionError(Refusal):
    """A failure with a stable machine `code` and a `message` for a person.

    `user_fault` says whether the file itself is to blame (it stays failed and
    costs the allowance) or the system is (the job may be retried).
    """

    code = "extraction_failed"
    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        user_fault: bool = True,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.user_fault = user_fault

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class BadFile(ExtractionError):
    """The uploaded file cannot be used: wrong type, too large, unreadable."""


class ExtractorUnavailable(ExtractionError):
    """The extractor could not answer (model down, rate-limited, timed out)."""

    def __init__(self, code: str, message: str, *, final: bool = False) -> None:
        super().__init__(code, message, status=503, user_fault=False)
        # A final failure (spend limit reached, bad key) is not worth retrying.
        self.final = final
