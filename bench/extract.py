"""Speed and memory of the local extractor over the CV samples or a corpus sample.

    python bench/extract.py [--rounds 5] [--samples DIR]
    python bench/extract.py --corpus DIR [--sample 200] [--rounds 3]

Per file: read + extract, `--rounds` times; the file's time is the median of
its rounds. Prints p50/p95 over files of those medians, the same for the
extraction alone, and files per second. Then (issue 11, acceptance 2):

- model load: the median of 5 loads (read the file + `load_model`) of the
  committed line model, when there is one;
- worker memory growth: this process's resident memory after extracting
  every file minus before the extractor (and its model) was made, in MB; the
  readers parse PDF and DOCX in forked children, which are not counted, as in
  a worker.

The extractor is the product's (`LocalExtractor()`: the committed model when
it loads, else the rules).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_SAMPLES, documents, percentile, setup_django  # noqa: E402

# Issue 11, acceptance 2.
LIMITS = {"p95_ms": 150.0, "model_load_ms": 300.0, "memory_growth_mb": 150.0}


def rss_mb() -> float:
    """This process's resident set size now (not its peak), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak: an upper bound


def corpus_documents(corpus: Path, n: int) -> list[tuple[Path, str]]:
    """n development documents of the corpus, drawn by a stable hash of their
    names (the sealed split is left alone, as everywhere but its summary line)."""
    import corpus_protocol as cp

    rows = cp.limit_rows(cp.split_documents(cp.load_manifest(corpus)).dev, n, "extract-sample")
    return [(corpus / r["file"], Path(r["file"]).suffix.lower().lstrip(".")) for r in rows]


def model_load_ms(loads: int = 5) -> tuple[float | None, str]:
    """Median ms of `loads` loads of the committed model file, and what was loaded."""
    try:
        from extraction.extractors.learned import model as m
    except ImportError as exc:
        return None, f"no learned extractor ({exc})"
    path = Path(getattr(m, "DEFAULT_PATH", ""))
    if not path.is_file():
        return None, f"no model file at {path}"
    times, loaded = [], None
    for _ in range(loads):
        t0 = time.perf_counter()
        try:
            loaded = m.load_model(path.read_bytes())
        except Exception as exc:  # a refused file: say so, the extractor runs on rules
            return None, f"{path.name} refused: {exc}"
        times.append((time.perf_counter() - t0) * 1000)
    ident = getattr(loaded, "model_id", "?")
    return statistics.median(times), f"{path.name}, {path.stat().st_size / 1024:.0f} KiB, {ident}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, help="rounds per file (5; 3 with --corpus)")
    ap.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    ap.add_argument("--corpus", type=Path, help="a generated corpus: time a sample of it")
    ap.add_argument("--sample", type=int, default=200, help="documents drawn from --corpus (200)")
    args = ap.parse_args(argv)
    rounds = args.rounds or (3 if args.corpus else 5)

    setup_django()
    from extraction.extractors.local import LocalExtractor
    from extraction.readers import read_document

    docs = corpus_documents(args.corpus, args.sample) if args.corpus else documents(args.samples)
    load_ms, load_what = model_load_ms()

    rss_before = rss_mb()
    ex = LocalExtractor()
    ex.extract("warm up", deadline=time.monotonic() + 60)  # load schema, compile rules
    rss_ready = rss_mb()
    total, extract_only, failures = {}, {}, 0
    for _ in range(rounds):
        for path, kind in docs:
            t0 = time.perf_counter()
            try:
                text = read_document(path, kind).text
            except Exception as exc:
                failures += 1
                print(f"{path.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            t1 = time.perf_counter()
            ex.extract(text, deadline=time.monotonic() + 60)
            t2 = time.perf_counter()
            total.setdefault(path.name, []).append(t2 - t0)
            extract_only.setdefault(path.name, []).append(t2 - t1)
    rss_after = rss_mb()
    med = [statistics.median(v) * 1000 for v in total.values()]
    med_x = [statistics.median(v) * 1000 for v in extract_only.values()]
    where = f"{args.corpus} (sample)" if args.corpus else str(args.samples)
    print(f"files: {len(docs)} from {where}, rounds: {rounds}, unreadable: {failures // rounds}")
    p95 = percentile(med, 95)
    print(f"read + extract  p50 {percentile(med, 50):7.1f} ms   p95 {p95:7.1f} ms")
    print(
        f"extract only    p50 {percentile(med_x, 50):7.1f} ms   p95 {percentile(med_x, 95):7.1f} ms"
    )
    if med:
        print(f"files per second (read + extract): {len(med) / (sum(med) / 1000):.1f}")
        slow = sorted(total, key=lambda k: statistics.median(total[k]), reverse=True)[:3]
        print(
            "slowest:", ", ".join(f"{k} {statistics.median(total[k]) * 1000:.0f} ms" for k in slow)
        )
    model = getattr(ex, "model", None)
    print(
        "extractor model: "
        + (getattr(model, "model_id", "loaded") if model is not None else "none (rules alone)")
    )
    if load_ms is None:
        print(f"model load: n/a ({load_what})")
    else:
        print(f"model load: median of 5 {load_ms:.1f} ms ({load_what})")
    growth = rss_after - rss_before
    print(
        f"worker memory: RSS {rss_before:.0f} MB before the extractor, {rss_ready:.0f} MB with it "
        f"ready, {rss_after:.0f} MB after {len(docs)} files x {rounds}; growth {growth:.1f} MB"
    )
    verdict = [
        ("p95", p95, LIMITS["p95_ms"]),
        ("model load", load_ms, LIMITS["model_load_ms"]),
        ("memory growth", growth, LIMITS["memory_growth_mb"]),
    ]
    # p95 <= 150 ms, load < 300 ms, growth < 150 MB; no model file: its load is not judged.
    ok = (
        p95 <= LIMITS["p95_ms"]
        and (load_ms is None or load_ms < LIMITS["model_load_ms"])
        and growth < LIMITS["memory_growth_mb"]
    )
    print(
        ("PASS" if ok else "FAIL")
        + " (issue 11 acceptance 2): "
        + "; ".join(
            f"{name} {'n/a' if v is None else f'{v:.1f}'} (limit {limit:g})"
            for name, v, limit in verdict
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
