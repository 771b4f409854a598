"""JSON Resume: validation, normalisation and snapshot limits, in one place (SPEC E-2, E-6).

STUB: the public functions below are the contract; bodies to be written.
"""

from __future__ import annotations

SCHEMA_VERSION = "1.0.0"


class InvalidResume(ValueError):
    """The document breaks the JSON Resume schema even after normalisation."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


def normalise(doc: object) -> tuple[dict, list[str]]:
    """Return a cleaned copy of `doc` and warnings for what was dropped or fixed."""
    raise NotImplementedError


def validate(doc: dict) -> None:
    """Raise InvalidResume unless `doc` validates against the shipped schema."""
    raise NotImplementedError


def clean(doc: object) -> tuple[dict, list[str]]:
    """normalise() then validate(): what every extractor's output goes through."""
    doc, warnings = normalise(doc)
    validate(doc)
    return doc, warnings


def apply_snapshot_limits(doc: dict) -> tuple[dict, list[str]]:
    """Cut `doc` to SNAPSHOT_MAX_BYTES as SPEC E-6 says; notes say what was cut."""
    raise NotImplementedError
