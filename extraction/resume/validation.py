"""Validation against the shipped official schema (draft-07), key
order as the schema lists it, and `clean()`: normalise, then validate."""

from __future__ import annotations

import json

import jsonschema

from .normalise import normalise
from .schema import SCHEMA_PATH


class InvalidResume(ValueError):
    """The document breaks the JSON Resume schema even after normalisation."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


_validator = None


def _get_validator():
    global _validator
    if _validator is None:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return _validator


def in_schema_order(doc: object, schema: dict | None = None) -> object:
    """`doc` with every object's keys in the order the schema lists them.

    Storage may not keep key order (PostgreSQL's jsonb does not); a document
    we hand out always reads basics first, name before email, and so on.
    """
    schema = _get_validator().schema if schema is None else schema
    if isinstance(doc, dict):
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        known = [k for k in props if k in doc]
        rest = sorted(k for k in doc if k not in props)
        return {k: in_schema_order(doc[k], props.get(k, {})) for k in [*known, *rest]}
    if isinstance(doc, list):
        items = schema.get("items", {}) if isinstance(schema, dict) else {}
        return [in_schema_order(v, items) for v in doc]
    return doc


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(document)"


def _message(error) -> str:
    """jsonschema's message, except for a date: its pattern says nothing to a person."""
    iso8601 = _get_validator().schema.get("definitions", {}).get("iso8601", {})
    if error.validator == "pattern" and error.validator_value == iso8601.get("pattern"):
        return f"{error.instance!r:.80} is not a date written YYYY-MM-DD, YYYY-MM or YYYY"
    return error.message[:200]


def schema_errors(doc: object) -> list[tuple[str, str]]:
    """(path, message) of each place where `doc` breaks the shipped schema, in
    path order; the path as `work[0].startDate`, "(document)" for the whole."""
    errors = sorted(_get_validator().iter_errors(doc), key=lambda e: list(map(str, e.path)))
    return [(_path(e.absolute_path), _message(e)) for e in errors]


def validate(doc: dict) -> None:
    """Raise InvalidResume unless `doc` validates against the shipped schema."""
    errors = schema_errors(doc)
    if errors:
        raise InvalidResume([f"{path}: {message}" for path, message in errors])


def clean(doc: object, *, keep_unknown: bool = False) -> tuple[dict, list[str]]:
    """normalise() then validate(): what every extractor's output goes through;
    `keep_unknown` for a document that is the person's own (brought or edited)."""
    doc, warnings = normalise(doc, keep_unknown=keep_unknown)
    validate(doc)
    return doc, warnings
