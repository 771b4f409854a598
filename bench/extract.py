"""Speed of the local extractor over the CV samples.

    python bench/extract.py [--rounds 5] [--samples DIR]

Per file: read + extract, `--rounds` times; the file's time is the median of
its rounds. Prints p50/p95 over files of those medians, the same for the
extraction alone, and files per second.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_SAMPLES, documents, percentile, setup_django  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    args = ap.parse_args(argv)

    setup_django()
    from extraction.extractors.local import LocalExtractor
    from extraction.readers import read_document

    ex = LocalExtractor()
    docs = documents(args.samples)
    ex.extract("warm up", deadline=time.monotonic() + 60)  # load schema, compile rules
    total, extract_only = {}, {}
    for _ in range(args.rounds):
        for path, kind in docs:
            t0 = time.perf_counter()
            text = read_document(path, kind).text
            t1 = time.perf_counter()
            ex.extract(text, deadline=time.monotonic() + 60)
            t2 = time.perf_counter()
            total.setdefault(path.name, []).append(t2 - t0)
            extract_only.setdefault(path.name, []).append(t2 - t1)
    med = [statistics.median(v) * 1000 for v in total.values()]
    med_x = [statistics.median(v) * 1000 for v in extract_only.values()]
    print(f"files: {len(docs)}, rounds: {args.rounds}")
    print(f"read + extract  p50 {percentile(med, 50):7.1f} ms   p95 {percentile(med, 95):7.1f} ms")
    print(
        f"extract only    p50 {percentile(med_x, 50):7.1f} ms   p95 {percentile(med_x, 95):7.1f} ms"
    )
    print(f"files per second (read + extract): {len(med) / (sum(med) / 1000):.1f}")
    slow = sorted(total, key=lambda k: statistics.median(total[k]), reverse=True)[:3]
    print("slowest:", ", ".join(f"{k} {statistics.median(total[k]) * 1000:.0f} ms" for k in slow))
    return 0


if __name__ == "__main__":
    sys.exit(main())
