"""The OpenAPI schema's project conventions (drf-spectacular's AutoSchema and a
post-processing hook), so that the schema says what the server does and a
client generated from it works (issue 16):

- every list is paginated (`{count, next, previous, results}`, `limit`/`offset`);
- every error answer has the `Error` body that cv2web.api and cv2web.errors
  give (`{error, message, ...}`), and every operation lists the error statuses
  it can answer: 429 everywhere (burst limits), 401/403 (a bad token, a forged
  write), 404 where a path names an object, 400/413/415 where a body is sent;
- the headers every answer carries (`X-Quota-*`, `Cache-Control`), `ETag`
  (and 304 to `If-None-Match`) on reads, `Retry-After` on 429 and 503;
- `json_schema_to_openapi` turns a JSON Schema file (the vendored JSON Resume
  schema) into an OpenAPI 3.0 component.
"""

from __future__ import annotations

import copy
from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework.settings import api_settings

ERROR = "Error"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR}"}

# The body of every error answer (cv2web.api.error_response, cv2web.errors._json).
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error answer: a machine code, a sentence for a person, and for "
    "some codes more fields (listed here; others may be added).",
    "properties": {
        "error": {
            "type": "string",
            "description": "Machine code: `not_found`, `rate_limited`, `quota_exceeded`, "
            "`invalid_request`, `queue_full`, `request_too_large`, ...",
        },
        "message": {"type": "string", "description": "What happened, for a person."},
        "retry_after_seconds": {
            "type": "integer",
            "description": "`rate_limited`, `queue_full`: seconds to wait (as `Retry-After`).",
        },
        "fields": {
            "description": "`invalid_request`: the problems, by field where there are fields.",
        },
        "max_size_bytes": {
            "type": "integer",
            "description": "`request_too_large`, `file_too_large`, `document_too_large`.",
        },
        "limit": {"type": "integer", "description": "`quota_exceeded`: the daily allowance."},
        "reset_at": {
            "type": "string",
            "format": "date-time",
            "description": "`quota_exceeded`: when the allowance resets.",
        },
    },
    "required": ["error", "message"],
    "additionalProperties": {},
}

_INT = {"type": "integer"}
QUOTA_HEADERS = {
    "X-Quota-Limit": "Extractions a day for this caller.",
    "X-Quota-Remaining": "Extractions left today.",
    "X-Quota-Reset": "When the allowance resets (Unix time).",
}
CACHE_CONTROL = {
    "description": "`no-store`: API answers are never cached.",
    "schema": {"type": "string"},
    "required": True,
}
ETAG = {
    "description": "The answer's version; send it back as `If-None-Match` to get a 304.",
    "schema": {"type": "string"},
    "required": True,
}
RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": _INT,
    "required": True,
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "An `ETag` of an earlier answer: 304 with no body if nothing changed.",
}

# What each error status means on this API, as its response description.
ERROR_DESCRIPTIONS = {
    400: "`invalid_request` (with `fields`), `invalid_json`, or a code of this operation.",
    401: "`authentication_failed` (a wrong or revoked token) or `not_authenticated`.",
    403: "`permission_denied`: a write sent by another site's page, or not allowed.",
    404: "`not_found`: nothing with this id is yours (or it does not exist).",
    409: "A conflict with the object's state.",
    413: "`request_too_large`: the body is over the limit (`max_size_bytes`).",
    415: "`unsupported_media_type`, or a file type this operation refuses.",
    429: "`rate_limited` (too many requests; `retry_after_seconds`) or `quota_exceeded` "
    "(the daily allowance is used up), with `Retry-After`.",
    503: "`queue_full`: try again after `Retry-After` seconds.",
}


class AutoSchema(SpectacularAutoSchema):
    """Every list the API answers is paginated by DEFAULT_PAGINATION_CLASS
    (cv2web.pagination), including those of plain APIViews, which have no
    `pagination_class` for drf-spectacular to find: without this the schema
    promised a bare array where the answer is `{count, next, previous,
    results}` (found by `make fuzz`)."""

    def _get_paginator(self):
        paginator = super()._get_paginator()
        if paginator is None and self.method == "GET" and api_settings.DEFAULT_PAGINATION_CLASS:
            return api_settings.DEFAULT_PAGINATION_CLASS()
        return paginator


def _header(description: str, *, required: bool = True) -> dict:
    return {"description": description, "schema": _INT, "required": required}


def _error_statuses(path: str, method: str, operation: dict) -> set[int]:
    """The error statuses an operation can answer, beyond those it declares."""
    statuses = {401, 403, 429}
    if "{" in path:
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {400, 413, 415}
    return statuses


def _add_headers(status: int, method: str, response: dict) -> None:
    headers = response.setdefault("headers", {})
    # The body-size refusal answers before the quota middleware runs.
    if status != 413:
        for name, description in QUOTA_HEADERS.items():
            headers.setdefault(name, _header(description))
    headers.setdefault("Cache-Control", CACHE_CONTROL)
    if status in (429, 503):
        headers.setdefault("Retry-After", RETRY_AFTER)
    if method == "get" and (200 <= status < 300 or status == 304) and "content" in response:
        # Django's ConditionalGetMiddleware: every GET answer with a body.
        headers.setdefault("ETag", ETAG)
    if method == "get" and status == 304:
        headers.setdefault("ETag", ETAG)


def postprocess(result: dict, generator, request, public) -> dict:
    """drf-spectacular's POSTPROCESSING_HOOKS entry: errors and headers (see above)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR] = copy.deepcopy(ERROR_SCHEMA)
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(path, method, operation):
                responses.setdefault(str(status), {})
            if method == "get":
                responses.setdefault("304", {"description": "Not modified (`If-None-Match`)."})
                names = {p.get("name") for p in operation.get("parameters", [])}
                if "If-None-Match" not in names:
                    operation.setdefault("parameters", []).append(dict(IF_NONE_MATCH))
            for code, response in responses.items():
                status = int(code)
                if status >= 400:
                    response.setdefault("description", ERROR_DESCRIPTIONS.get(status, ""))
                    if not response.get("description"):
                        response["description"] = ERROR_DESCRIPTIONS.get(status, "An error.")
                    response.setdefault("content", {"application/json": {"schema": ERROR_REF}})
                _add_headers(status, method, response)
    return result


# --- JSON Schema (draft-04/07) to an OpenAPI 3.0 schema object -----------------

# Keywords OpenAPI 3.0's schema object does not have (or has differently).
_DROPPED = {
    "$schema",
    "$id",
    "id",
    "$comment",
    "definitions",
    "$defs",
    "additionalItems",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "propertyNames",
    "contains",
    "if",
    "then",
    "else",
    "examples",
    # openapi-python-client names model classes after titles; names from the
    # path are steadier.
    "title",
}


def json_schema_to_openapi(document: dict) -> dict:
    """An OpenAPI 3.0 schema object equal in meaning to a JSON Schema document,
    with local `$ref`s (`#/definitions/...`) inlined: what OpenAPI 3.0 lacks
    (`additionalItems`, type lists, `const`) is dropped or said its way."""
    definitions = {**document.get("definitions", {}), **document.get("$defs", {})}

    def resolve(ref: str, seen: tuple[str, ...]) -> Any:
        name = ref.rsplit("/", 1)[-1]
        if ref in seen or name not in definitions:
            return {}
        return convert(definitions[name], (*seen, ref))

    def convert(node: Any, seen: tuple[str, ...] = ()) -> Any:
        if isinstance(node, list):
            return [convert(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            return resolve(node["$ref"], seen)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROPPED:
                continue
            if key == "properties" and isinstance(value, dict):
                out[key] = {name: convert(sub, seen) for name, sub in value.items()}
            elif key == "type" and isinstance(value, list):
                kinds = [k for k in value if k != "null"]
                if "null" in value:
                    out["nullable"] = True
                if len(kinds) == 1:
                    out["type"] = kinds[0]
                elif kinds:
                    out["anyOf"] = [{"type": k} for k in kinds]
            elif key == "const":
                out["enum"] = [value]
            elif key == "items" and isinstance(value, list):
                out[key] = convert(value[0], seen) if value else {}
            else:
                out[key] = convert(value, seen)
        return out

    return convert(document)
