"""Fixtures of the quotas tests."""

from __future__ import annotations

import pytest

from quotas import ratelimits


@pytest.fixture(autouse=True)
def _closed_breakers():
    """Each test starts with every rate-limit cache trusted again: a breaker
    opened by one test (a cache on a closed port) must not decide the next."""
    ratelimits.reset_breakers()
    yield
    ratelimits.reset_breakers()
