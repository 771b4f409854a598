"""A line of a CV as the entry rules see it: its text, section, date range and
the line model's opinion of it.
"""

from __future__ import annotations

from .dates import DateRange


class Line:
    __slots__ = (
        "text",
        "section",
        "range",
        "used",
        "cells",
        "indented",
        "probs",
        "headed",
        "gap",
    )

    def __init__(
        self,
        text: str,
        section: str | None,
        cells: tuple[str, ...] = (),
        indented: bool = False,
        probs: dict[str, float] | None = None,
    ) -> None:
        self.text = text
        # the line model's label probabilities for the line it came from, or {}
        self.probs = probs or {}
        self.section = section
        self.range: DateRange | None = None
        self.used = False
        # indented by a tab (a list item under its name, as word processors write it)
        self.indented = indented
        # the separate runs the line is made of (kept apart by a wide gap), or ()
        self.cells = cells if len(cells) > 1 and " ".join(cells) == text else ()
        # the rest of a heading's row ("EDUCATION  2010 - 2013"): set by segment
        self.headed = False
        # a blank line stood right above it in plain text (a block starts here)
        self.gap = False
