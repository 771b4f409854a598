"""`make corpus`: every layout for every person of shared/cv-corpus, then the
manifest, visibility and truth files the scorer reads.

    python -m tools.cvcorpus [--out data/corpus] [--people c-001,c-002] [--jobs 2]
    python -m tools.cvcorpus --revisit [--out data/corpus]

Resumable: a document already written is not made again. `--revisit` renders
no document: it computes again what each written document prints
(visibility.json), after a change to that computation (probing the themes'
templates where a document was recorded without a probe). Needs node/npm
(themes), Chromium, LibreOffice, texlive and poppler-utils (see
docs/extraction.md); the product and its tests need none of them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import docx_layouts, latex, text_styles, themes
from .common import merge, people, revisit


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("data/corpus"))
    ap.add_argument("--people", help="comma-separated ids (default: all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument(
        "--revisit", action="store_true", help="recompute visibility.json only, render nothing"
    )
    args = ap.parse_args(argv)
    persons = people(only=args.people.split(",") if args.people else None)
    if args.revisit:
        t0 = time.monotonic()
        probed = themes.probe_missing(args.out, persons, jobs=args.jobs)
        print(f"probes: {probed} theme documents probed in {time.monotonic() - t0:.0f} s")
        changed = revisit(args.out, persons, jobs=args.jobs)
        print(f"visibility: {changed} documents changed in {time.monotonic() - t0:.0f} s")
        print(f"{merge(args.out)} documents in {args.out}")
        return
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
