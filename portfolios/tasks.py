"""django-q2 entry points for portfolios."""

from __future__ import annotations

from .scan import scan


def lifecycle_scan(dry_run: bool = False) -> dict[str, int]:
    return scan(dry_run=dry_run)
