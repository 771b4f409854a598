"""Languages: the spoken languages section and its fluency words."""

from __future__ import annotations

import re

from .line import Line
from .text import strip_bullet
from .vocab import FLUENCY_WORDS


def languages(lines: list[Line]) -> list[dict]:
    out: list[dict] = []
    for ln in lines:
        if ln.section != "languages" or ln.range:
            continue
        t = strip_bullet(ln.text)
        if not t or len(t) > 60:
            continue
        low = t.casefold()
        words = low.replace("(", " ").replace(")", " ").replace(":", " ").split()
        if out and "fluency" not in out[-1] and words and all(w in FLUENCY_WORDS for w in words):
            out[-1]["fluency"] = t
            continue
        m = re.match(r"^([^\W\d_][\w-]*)\s*(?:[:(\-–]\s*|\s+)(.+?)\)?$", t)
        if m and any(w in FLUENCY_WORDS for w in m.group(2).casefold().split()):
            out.append({"language": m.group(1), "fluency": m.group(2)})
        elif len(t.split()) <= 2:
            out.append({"language": t})
    return out[:20]
