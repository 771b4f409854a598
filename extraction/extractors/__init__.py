"""Extractor registry: text in, JSON Resume document out.

Every extractor has a `name`, a `fingerprint()` that changes whenever its
output could change (name, model, prompt version, schema version: SPEC E-4),
and `extract(text, deadline=...)` returning an `Outcome`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings


@dataclass
class Outcome:
    resume: dict
    extractor: str
    model: str = ""
    warnings: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    # The `anthropic-ratelimit-*` response headers of the last model call.
    ratelimit: dict[str, str] = field(default_factory=dict)
    # Per-field confidence, "high" or "low", keyed like "basics.email",
    # "work[0].startDate", "skills" (the local extractor fills it).
    confidence: dict[str, str] = field(default_factory=dict)


class Extractor(Protocol):
    name: str

    def fingerprint(self) -> str: ...

    def extract(self, text: str, *, deadline: float) -> Outcome:
        """Extract from `text`; `deadline` is a `time.monotonic()` instant."""
        ...


def make_fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def configured_name() -> str:
    """The extractor `EXTRACTOR` selects; `auto` is claude when a key is set."""
    name = settings.EXTRACTOR
    if name == "auto":
        return "claude" if settings.ANTHROPIC_API_KEY else "local"
    return name


def get_extractor(name: str | None = None) -> Extractor:
    name = name or configured_name()
    # Imported here, not at the top: `local` and `claude` import `Outcome` and
    # `make_fingerprint` from this package (a cycle at import time), and only the
    # chosen extractor need load.
    if name == "local":
        from .local import LocalExtractor

        return LocalExtractor()
    if name == "claude":
        from .claude import get_claude_extractor

        return get_claude_extractor()
    raise ValueError(f"Unknown extractor {name!r}")
