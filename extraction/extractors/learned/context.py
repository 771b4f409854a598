"""The model the current extraction uses, for the rules deep inside
`local_rules` that ask it (a context variable: one extraction per thread or
task, no model passed through every helper).

Each question returns None when no model is in use or when it is not sure,
and the rules then decide alone.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from . import features as F
from .model import LABELS, LineModel

_current: ContextVar[LineModel | None] = ContextVar("line_model", default=None)
# P(kind) of each phrase already asked about during the current extraction
_phrase_cache: ContextVar[dict | None] = ContextVar("phrase_cache", default=None)

# The line labels of an entry's title lines.
TITLE_LABELS = tuple(
    label
    for label in LABELS["line"]
    if label.startswith(("employer", "position", "institution", "degree"))
)

# How sure the model must be before its answer replaces the rules'.
HEADING_P = 0.6
ROLE_MARGIN = 0.25
PAIR_MARGIN = 0.4
# ... and before it overrules a title and employer the rules found both of
OVERRULE_MARGIN = 1.2
PROSE_P = 0.85
# How a degree left whole weighs against the best "degree | field" split
WHOLE_DEGREE = 0.5
BODY_P = 0.9  # a line of an entry text, never one of its titles
PROSE_SURE_P = 0.95  # for a shorter line ("2015-2016: Built a shop for a client")


@contextmanager
def using(model: LineModel | None):
    token = _current.set(model)
    cache = _phrase_cache.set({})
    try:
        yield model
    finally:
        _phrase_cache.reset(cache)
        _current.reset(token)


def current() -> LineModel | None:
    return _current.get()


def line_probabilities(
    lines: list[str], cells: list[tuple[str, ...]] | None
) -> list[dict[str, float]] | None:
    model = _current.get()
    if model is None:
        return None
    return [model.line.probabilities(f) for f in F.line_features(lines, cells)]


def phrase(text: str) -> dict[str, float] | None:
    """P(kind) of a short phrase: employer, position, institution, studyType,
    area, location, other."""
    model = _current.get()
    if model is None:
        return None
    cache = _phrase_cache.get()
    if cache is None:
        return model.phrase.probabilities(F.phrase_features(text))
    if text not in cache:
        cache[text] = model.phrase.probabilities(F.phrase_features(text))
    return cache[text]


def work_order(a: str, b: str) -> bool | None:
    """Whether "a, b" is (position, employer) [True] or (employer, position)
    [False]; None when the model is not sure."""
    pa, pb = phrase(a), phrase(b)
    if pa is None or pb is None:
        return None
    forward = pa.get("position", 0) + pb.get("employer", 0)
    backward = pa.get("employer", 0) + pb.get("position", 0)
    if abs(forward - backward) < ROLE_MARGIN:
        return None
    return forward > backward


def split_degree(words: list[str]) -> tuple[str, str | None] | None:
    """(studyType, area) of a degree line's words, split where the model
    finds the likeliest "degree | field" boundary (or no split); None when no
    model is in use."""
    model = _current.get()
    if model is None or not words:
        return None
    whole = phrase(" ".join(words)) or {}
    best: tuple[str, str | None] = (" ".join(words), None)
    best_score = whole.get("studyType", 0.0) * WHOLE_DEGREE
    for k in range(1, min(len(words), 8)):
        head = " ".join(words[:k])
        start = k  # the connectors after the head are neither's (an index: no copy per word)
        while len(words) - start > 1 and words[start].casefold() in _CONNECTORS:
            start += 1
        tail = " ".join(words[start:])
        ph, pt = phrase(head) or {}, phrase(tail) or {}
        score = ph.get("studyType", 0.0) * pt.get("area", 0.0)
        if score > best_score:
            best, best_score = (head.strip(" ,:-–"), tail.strip(" ,:-–")), score
    return best


_CONNECTORS = {"in", "of", "en", "em", "im", "de", "del", "der", "di", "da", "do", "-", "–", ":"}
