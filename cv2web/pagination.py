"""The one pagination of every API list (SPEC A): `?limit=` and `?offset=`.

DRF's LimitOffsetPagination has no `max_limit` by default, so
`?limit=100000000` asked the database for every row, and a limit past
SQLite's or PostgreSQL's integer range was a 500. Here the limit is clamped
to API_MAX_PAGE_SIZE and the offset to the number of rows; a negative or
unreadable value falls back to the default instead of failing.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.pagination import LimitOffsetPagination


def _number(value: str | None) -> int | None:
    """`value` as an int; None when absent or not a whole number. Values too
    long for any row count are capped rather than converted (int() of
    thousands of digits is slow, and refused past sys.get_int_max_str_digits)."""
    if value is None:
        return None
    value = value.strip()
    digits = value.removeprefix("-")
    if len(digits) > 18:
        if not (digits.isascii() and digits.isdigit()):
            return None
        return -(10**18) if value.startswith("-") else 10**18
    try:
        return int(value)
    except ValueError:
        return None


class ApiPagination(LimitOffsetPagination):
    """LimitOffsetPagination with `limit` in 1..API_MAX_PAGE_SIZE and
    `offset` in 0..count."""

    @property
    def max_limit(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE

    @property
    def default_limit(self) -> int:  # type: ignore[override]
        return min(settings.REST_FRAMEWORK.get("PAGE_SIZE") or 50, self.max_limit)

    def get_limit(self, request) -> int:
        limit = _number(request.query_params.get(self.limit_query_param))
        if limit is None or limit < 1:
            return self.default_limit
        return min(limit, self.max_limit)

    def get_offset(self, request) -> int:
        offset = _number(request.query_params.get(self.offset_query_param))
        if offset is None or offset < 0:
            return 0
        # Past the end is an empty page; never a number the database cannot hold.
        count = getattr(self, "count", None)
        return offset if count is None else min(offset, count)
