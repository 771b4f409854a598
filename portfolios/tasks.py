"""django-q2 entry points for portfolios."""

from __future__ import annotations


def lifecycle_scan(dry_run: bool = False) -> dict[str, int]:
    from .lifecycle import scan

    return scan(dry_run=dry_run)
