"""Template filters of the portfolio themes: `{% load portfolio_site %}`."""

from __future__ import annotations

from django import template

from portfolios.site import safe_url as _safe_url

register = template.Library()


@register.filter
def safe_url(value: object) -> str:
    """The URL if it is http, https or mailto; "" otherwise (so the link is dropped)."""
    return _safe_url(value)
