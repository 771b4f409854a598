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
    Keys the schema does not name follow, sorted. Every job poll and upload
    answer reorders its result, so each schema node's order is worked out
    once (`_plan`) and leaves are copied without a call.
    """
    return _ordered(doc, _get_validator().schema if schema is None else schema)


_LEAVES = (str, int, float, bool, type(None))
_NO_SCHEMA: dict = {}
# id(schema node) -> (the node, its property names in order, their subschemas,
# its items' schema); the node is kept so that its id is not reused.
_plans: dict[int, tuple[object, tuple[str, ...], dict, dict]] = {}


def _plan(schema: object) -> tuple[object, tuple[str, ...], dict, dict]:
    plan = _plans.get(id(schema))
    if plan is None or plan[0] is not schema:
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        items = schema.get("items", {}) if isinstance(schema, dict) else {}
        plan = (schema, tuple(props), props, items if isinstance(items, dict) else _NO_SCHEMA)
        if len(_plans) < 4096:  # the schema's nodes, and a caller's own few
            _plans[id(schema)] = plan
    return plan


def _ordered(doc: object, schema: object) -> object:
    if isinstance(doc, dict):
        _, order, props, _ = _plan(schema)
        keys = [k for k in order if k in doc]
        if len(keys) < len(doc):
            keys += sorted(k for k in doc if k not in props)
        out = {}
        for k in keys:
            v = doc[k]
            out[k] = v if isinstance(v, _LEAVES) else _ordered(v, props.get(k, _NO_SCHEMA))
        return out
    if isinstance(doc, list):
        items = _plan(schema)[3]
        return [v if isinstance(v, _LEAVES) else _ordered(v, items) for v in doc]
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
