"""`make train-extractor`: train the local extractor's line model on every
development document of a generated corpus and write the model file.

    python scripts/train_extractor.py [--corpus data/corpus]
                                      [--out extraction/extractors/learned/line_model.json.gz]

Development documents are those of neither a sealed person nor a sealed
layout family (bench/corpus_protocol.py): the sealed split stays unseen.
Texts are read with the product's reader once and cached beside the corpus
(the same cache `bench/accuracy.py --corpus` uses). Needs scikit-learn
(requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from _common import setup_django  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=REPO / "data" / "corpus")
    ap.add_argument(
        "--out",
        type=Path,
        default=REPO / "extraction" / "extractors" / "learned" / "line_model.json.gz",
    )
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    if not (args.corpus / "manifest.csv").exists():
        print(f"{args.corpus}: no manifest.csv; make corpus writes one", file=sys.stderr)
        return 2
    setup_django()
    import accuracy
    import corpus_protocol as cp

    from extraction.extractors.learned.model import load_model
    from extraction.extractors.learned.training import Example, train_model

    rows = cp.load_manifest(args.corpus)
    split = cp.split_documents(rows)
    texts, stats = accuracy.read_texts(
        args.corpus, split.dev, cp.text_cache_path(args.corpus), args.jobs
    )
    truths: dict[str, dict] = {}
    examples = []
    for r in split.dev:
        if "text" not in texts.get(r["file"], {}):
            continue
        pid = r["person_id"]
        if pid not in truths:
            truths[pid] = json.loads((args.corpus / f"{pid}.json").read_bytes().decode("utf-8-sig"))
        examples.append(
            Example(
                texts[r["file"]]["text"],
                truths[pid],
                [],
                r["file"],
                r["format"],
                r["theme"],
                r["person"],
            )
        )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = train_model(examples, seed=cp.SEED)
    model = load_model(data)  # what the product will accept
    args.out.write_bytes(data)
    print(
        f"trained on {len(examples)} documents of {len({ex.person for ex in examples})} people "
        f"({len(split.sealed_people)} people and families {sorted(split.sealed_families)} sealed) "
        f"in {time.perf_counter() - t0:.0f} s; texts: {stats}"
    )
    print(f"{args.out}: {len(data) / 1024:.0f} KiB, model {model.model_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
