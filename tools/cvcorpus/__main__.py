"""`make corpus`: every layout for every person of shared/cv-corpus, then the
manifest, visibility and truth files the scorer reads.

    python -m tools.cvcorpus [--out data/corpus] [--people c-001,c-002] [--jobs 2]

Resumable: a document already written is not made again. Needs node/npm
(themes), Chromium, LibreOffice, texlive and poppler-utils (see
docs/extraction.md); the product and its tests need none of them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import docx_layouts, latex, text_styles, themes
from .common import merge, people


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("data/corpus"))
    ap.add_argument("--people", help="comma-separated ids (default: all)")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    persons = people(only=args.people.split(",") if args.people else None)
    for name, renderer in (
        ("text styles", text_styles),
        ("Word layouts", docx_layouts),
        ("LaTeX", latex),
        ("npm themes", themes),
    ):
        t0 = time.monotonic()
        renderer.render_all(args.out, persons, jobs=args.jobs)
        print(f"{name}: {time.monotonic() - t0:.0f} s", flush=True)
    print(f"{merge(args.out)} documents in {args.out}")


if __name__ == "__main__":
    main()
