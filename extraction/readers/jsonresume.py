"""A JSON Resume brought as it is (SPEC E-1): the file's document, checked and
cleaned, or a `BadFile` that names the problem.

The file is refused, in this order and before anything is stored, when it is
larger than `EXTRACTION_MAX_JSON_BYTES` (before it is parsed), not text, nested
deeper than `EXTRACTION_MAX_JSON_DEPTH` (counted before parsing: the parser
recurses), not JSON, not a JSON object, against the JSON Resume schema (the
message names the path of the first error, e.g. `work[0].startDate`), or
without `basics.name`. The older v0 keys (`work[].company`, `basics.website`...)
are the schema's extra keys: they pass validation and `resume.clean` maps them,
the same code every extractor's output goes through.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings

from .. import resume
from ..errors import BadFile
from .sniff import _human_size
from .text import decode_text

# What can open, close or escape a structure; everything else is skipped.
_SIGNIFICANT = re.compile(r'[\\"\[\]{}]')


def too_deep(text: str, limit: int) -> bool:
    """Whether arrays and objects in `text` nest deeper than `limit`.

    One linear pass over the brackets and quotes (strings and their escapes
    skipped), so that a hostile file never reaches the recursive parser.
    """
    depth = 0
    in_string = False
    skip_to = -1
    for match in _SIGNIFICANT.finditer(text):
        at = match.start()
        if at < skip_to:
            continue
        ch = text[at]
        if in_string:
            if ch == "\\":
                skip_to = at + 2
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def _invalid_json(detail: str) -> BadFile:
    return BadFile(
        "invalid_json",
        f"This file is not valid JSON ({detail}). Export your resume.json again, "
        "or check it with a JSON validator, and upload it again.",
    )


def _check_size(size: int) -> None:
    limit = int(settings.EXTRACTION_MAX_JSON_BYTES)
    if size > limit:
        raise BadFile(
            "file_too_large",
            f"This JSON Resume is too large ({_human_size(size)}). "
            f"A JSON Resume can be at most {_human_size(limit)}.",
            status=413,
        )


def parse(data: bytes) -> object:
    """The JSON value of `data`, or BadFile (too large, too deep, not JSON)."""
    _check_size(len(data))
    text = decode_text(data)
    if text is None:
        raise _invalid_json("it is not text")
    text = text.removeprefix("\ufeff")
    max_depth = int(settings.EXTRACTION_MAX_JSON_DEPTH)
    if too_deep(text, max_depth):
        raise BadFile(
            "json_too_deep",
            f"This JSON nests lists and objects more than {max_depth} levels deep; "
            "a JSON Resume needs about four.",
        )
    try:
        return json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise _invalid_json(f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:  # NaN, Infinity, a number with too many digits
        raise _invalid_json(str(exc)[:120]) from None
    except RecursionError:  # the depth check above should make this unreachable
        raise BadFile("json_too_deep", "This JSON nests lists and objects too deeply.") from None


def read_json_resume(path: Path) -> tuple[dict, list[str]]:
    """The cleaned document of the JSON Resume file at `path`, and its warnings."""
    path = Path(path)
    _check_size(path.stat().st_size)  # refused on its size alone, before it is read
    data = parse(path.read_bytes())
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a string", bool: "true or false", type(None): "null"}
        raise BadFile(
            "json_not_object",
            f"This JSON is {kind.get(type(data), 'a number')}, not a JSON Resume: "
            'a JSON Resume is one object, {"basics": {"name": ...}, "work": [...], ...}.',
        )
    errors = resume.schema_errors(data)
    if errors:
        where, what = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise BadFile(
            "invalid_resume",
            f"This file does not follow the JSON Resume schema at {where}: {what}{more}.",
        )
    try:
        doc, warnings = resume.clean(data, keep_unknown=True)
    except resume.InvalidResume as exc:  # normalised, yet still outside the schema
        raise BadFile(
            "invalid_resume", f"This file does not follow the JSON Resume schema: {exc.errors[0]}."
        ) from None
    if not (doc.get("basics") or {}).get("name"):
        raise BadFile(
            "name_required",
            "This JSON Resume has no name (basics.name): a portfolio needs at least your "
            "name. Add it to the file and upload it again.",
        )
    return doc, warnings
