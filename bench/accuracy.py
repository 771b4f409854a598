"""Field-level accuracy of an extractor over the CV samples (SPEC E-8).

    python bench/accuracy.py [--extractor local|claude] [--out DIR] [--samples DIR]

Reads every document of the samples' manifest, extracts it, writes
`<file name>.json` per document into --out, runs the reference scorer
(`score.py` beside the samples) as it is, prints its tables, the time per
file (read + extract) p50/p95, and the scorer's JSON summary as the last line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_SAMPLES, REPO, documents, percentile, setup_django  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extractor", choices=["local", "claude"], default="local")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "accuracy")
    ap.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    args = ap.parse_args(argv)

    setup_django()
    from extraction.extractors import get_extractor
    from extraction.readers import read_document

    extractor = get_extractor(args.extractor)
    args.out.mkdir(parents=True, exist_ok=True)
    times, failures = [], 0
    for path, kind in documents(args.samples):
        t0 = time.perf_counter()
        try:
            text = read_document(path, kind).text
            outcome = extractor.extract(text, deadline=time.monotonic() + 120)
            doc = outcome.resume
        except Exception as exc:  # a failure scores as an empty resume
            failures += 1
            print(f"{path.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            doc = {}
        times.append(time.perf_counter() - t0)
        (args.out / f"{path.name}.json").write_text(
            json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8"
        )

    proc = subprocess.run(
        [sys.executable, str(args.samples / "score.py"), str(args.samples), str(args.out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(proc.stdout + proc.stderr, file=sys.stderr)
        return proc.returncode
    lines = proc.stdout.rstrip("\n").split("\n")
    summary = lines[-1] if lines else "{}"
    print("\n".join(lines[:-1]))
    ms = [t * 1000 for t in times]
    print(
        f"\n{args.extractor}: {len(times)} files, {failures} failed; time per file "
        f"(read + extract) p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms"
    )
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
