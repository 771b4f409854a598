"""django-q2 entry points for portfolios."""

from __future__ import annotations


def lifecycle_scan() -> dict[str, int]:
    from .lifecycle import scan

    return scan()
