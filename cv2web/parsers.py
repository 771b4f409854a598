"""The API's JSON parser: nesting is bounded before anything recurses (SPEC S-4).

Python's json module recurses once per level of nesting: ~940 levels in a
1.9 kB body reach the interpreter's recursion limit and raise RecursionError,
which DRF's parser (it catches ValueError) turns into a 500. Everything that
walks the document afterwards (serializers, cleaning, the JSONField's encoder)
recurses too. So the depth is measured first, in time linear in the body and
at C speed, and a body nested deeper than API_JSON_MAX_DEPTH is refused with
400 `invalid_json` before json.loads sees it.
"""

from __future__ import annotations

import codecs
import json
from array import array
from itertools import accumulate

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings
from rest_framework.utils import json as drf_json

# `[{` become +1 and `]}` -1 (as signed bytes); every other byte is deleted.
_SIGNS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_LEAF = b"\x01\xff"
# Passes that drop innermost pairs before the prefix sums (see below).
_LEAF_PASSES = 2


class InvalidJSON(ParseError):
    """400 `invalid_json`: a body that is not JSON, or not JSON we accept."""

    default_code = "invalid_json"


def nesting_exceeds(body: bytes, limit: int) -> bool:
    """Whether the UTF-8 JSON text `body` nests arrays and objects deeper than
    `limit` (>= 2) anywhere json.loads would reach.

    Linear in len(body), every step a C-level bytes method:
    1. escapes are dropped (`\\\\` first, so that `\\\\"` still ends a string);
    2. splitting on the remaining quotes leaves the text outside strings at
       the even indexes;
    3. brackets become +1/-1 bytes, everything else goes;
    4. two `replace` passes drop the innermost pairs: each lowers the deepest
       point by at most one (by exactly one for balanced text), so the
       remainder is judged against `limit - 2`. This shrinks the common
       shallow-and-wide bodies before step 5 touches them per element;
    5. the deepest point is the largest prefix sum (after a substring search
       has caught a plain run of openings, the usual attack).
    For malformed text the result is still safe: json.loads stops at the
    first error, and up to there the steps above see exactly what it sees.
    """
    text = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(text.split(b'"')[0::2])
    signs = outside.translate(_SIGNS, _NOT_BRACKETS)
    if b"\x01" * (limit + 1) in signs:
        return True  # the plain attack, `[[[[...`, found at C speed
    for _ in range(_LEAF_PASSES):
        signs = signs.replace(_LEAF, b"")
    deepest = max(accumulate(array("b", signs)), default=0)
    return deepest > limit - _LEAF_PASSES


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser with a depth limit and a 400 for every malformed body."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        # DRF hands JSON parsers a BytesIO of request.body, which Django has
        # already held to DATA_UPLOAD_MAX_MEMORY_SIZE (413 past it).
        body = stream.read()
        try:
            text = codecs.decode(body, encoding)
        except (UnicodeError, LookupError):
            raise InvalidJSON(f"The JSON body is not valid {encoding} text.") from None
        if codecs.lookup(encoding).name != "utf-8":
            # The byte scan below knows UTF-8 (and ASCII) only.
            body = text.encode("utf-8")
        limit = settings.API_JSON_MAX_DEPTH
        if nesting_exceeds(body, limit):
            raise InvalidJSON(
                f"The JSON body nests arrays and objects more than {limit} levels deep."
            )
        parse_constant = drf_json.strict_constant if api_settings.STRICT_JSON else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:
            raise InvalidJSON(f"The body is not valid JSON: {exc}.") from None
        except RecursionError:
            # Unreachable with the check above; kept so that a change to it
            # can never turn into a 500 again.
            raise InvalidJSON("The JSON body nests too deeply.") from None
