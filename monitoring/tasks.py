"""django-q2 entry points for monitoring."""

from __future__ import annotations


def check_alerts() -> dict[str, int]:
    from .alerts import evaluate

    return evaluate()
