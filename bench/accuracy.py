"""Field-level accuracy of an extractor over the CV samples (SPEC E-8), or over a generated corpus.

    python bench/accuracy.py [--extractor local|claude] [--out DIR] [--samples DIR]
    python bench/accuracy.py --corpus DIR [--folds 5] [--model none|learned] [--limit N]
                             [--splits layouts,people,samples,sealed] [--jobs 2]

Without --corpus: reads every document of the samples' manifest, extracts it,
writes `<file name>.json` per document into --out, runs the reference scorer
(`score.py` beside the samples) as it is, prints its tables, the time per
file (read + extract) p50/p95, and the scorer's JSON summary as the last line.

With --corpus (issue 11, item 2; the protocol is in bench/corpus_protocol.py):
every document is read once with the product's reader (texts cached in
DIR/.cache/, keyed by the readers' source), then scored with DIR/score.py on

  (a) layouts  k-fold by layout family over the development documents: each
               fold is predicted by a model trained on the other folds only.
               The headline. Tables for all folds together, a line per fold.
  (b) people   k-fold by person over the development documents.
  (c) samples  shared/cv-samples, the model trained on every development document.
  (d) sealed   the sealed people's documents in the sealed families, predicted
               by the model of (c); only the macro and its per-format figures
               are printed, the predictions are deleted after scoring.

`--model learned` trains `extraction.extractors.learned` per fold (models
cached in --out/models/); `--model none` runs the rules alone. The line
before the last says PASS or FAIL against issue 11's acceptance figures; the
last line is a JSON summary.
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_SAMPLES, REPO, documents, percentile, setup_django  # noqa: E402

SPLITS = ("layouts", "people", "samples", "sealed")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extractor", choices=["local", "claude"], default="local")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    ap.add_argument("--corpus", type=Path, help="a generated corpus: run the protocol")
    ap.add_argument("--folds", type=int, default=5, help="k of the k-fold splits (5)")
    ap.add_argument(
        "--model",
        choices=["none", "learned"],
        help="none: rules alone; learned: trained per fold (default when importable)",
    )
    ap.add_argument("--limit", type=int, help="at most N documents per split (quick runs)")
    ap.add_argument("--splits", default=",".join(SPLITS), help="which splits to run")
    ap.add_argument("--jobs", type=int, default=2, help="processes reading and predicting (2)")
    args = ap.parse_args(argv)

    if args.corpus:
        if args.extractor != "local":
            ap.error("--corpus runs the local extractor")
        args.out = args.out or REPO / "bench" / "out" / "accuracy-corpus"
        return corpus_main(args)
    args.out = args.out or REPO / "bench" / "out" / "accuracy"

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


# =========================================================================== the corpus protocol
def learned_api() -> tuple[SimpleNamespace | None, str]:
    """The learned extractor's training interface, or (None, why not)."""
    try:
        from extraction.extractors.learned.model import load_model
        from extraction.extractors.learned.training import Example, train_model
        from extraction.extractors.local import LocalExtractor

        inspect.signature(LocalExtractor).bind(model=None)
    except (ImportError, TypeError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return SimpleNamespace(Example=Example, train_model=train_model, load_model=load_model), ""


def make_extractor(model=None):
    """The local extractor with `model` (None: the rules alone)."""
    from extraction.extractors.local import LocalExtractor

    try:
        return LocalExtractor(model=model)
    except TypeError:
        if model is not None:
            raise
        return LocalExtractor()  # before the learned extractor exists: rules only


# --------------------------------------------------------------------------- reading, once
def _read_one(item: tuple[str, str]) -> tuple[str, dict, float]:
    from extraction.readers import read_document

    path, name = item
    t0 = time.perf_counter()
    try:
        entry = {"text": read_document(Path(path), Path(path).suffix.lower().lstrip(".")).text}
    except Exception as exc:
        entry = {"error": f"{type(exc).__name__}: {exc}"}
    return name, entry, time.perf_counter() - t0


def read_texts(base: Path, rows: list[dict], cache: Path, jobs: int) -> tuple[dict, dict]:
    """file -> {"text"} or {"error"} for `rows`, read with `jobs` processes,
    cached in `cache` (one JSON line per document, appended as it is read;
    a document whose size or mtime changed, or that failed, is read again)."""
    import corpus_protocol as cp

    cached = cp.load_text_cache(cache)
    out, todo = {}, []
    for row in rows:
        name = row["file"]
        path = base / name
        if not path.exists():
            out[name] = {"error": "missing file"}
            continue
        stamp = cp.file_stamp(path)
        entry = cached.get(name)
        if entry and entry.get("stamp") == stamp and "text" in entry:  # errors: read again
            out[name] = entry
        else:
            todo.append((str(path), name, stamp))
    stats = {"cached": len(out), "read": len(todo), "seconds": 0.0, "errors": 0}
    if todo:
        t0 = time.perf_counter()
        cache.parent.mkdir(parents=True, exist_ok=True)
        stamps = {name: stamp for _, name, stamp in todo}
        items = [(p, n) for p, n, _ in todo]
        with open(cache, "a", encoding="utf-8") as fh:
            for name, entry, _secs in _imap(_read_one, items, jobs, chunksize=4):
                entry = {"file": name, "stamp": stamps[name], **entry}
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
                fh.flush()
                out[name] = entry
        stats["seconds"] = time.perf_counter() - t0
    stats["errors"] = sum(1 for r in rows if "error" in out.get(r["file"], {}))
    return out, stats


def _imap(func, items, jobs: int, chunksize: int = 8, initializer=None, initargs=()):
    """`func` over `items` in `jobs` forked processes (in this one when jobs <= 1)."""
    if jobs <= 1 or len(items) <= 1:
        if initializer:
            initializer(*initargs)
        yield from map(func, items)
        return
    ctx = mp.get_context("fork")
    with ctx.Pool(jobs, initializer=initializer, initargs=initargs) as pool:
        yield from pool.imap_unordered(func, items, chunksize=chunksize)


# --------------------------------------------------------------------------- predicting
_TEXTS: dict[str, dict] = {}
_EXTRACTOR = None
# The rules alone predict a document the same way in every split: kept once.
_RULES_ONLY: dict[tuple[str, str], tuple[dict, float, str]] = {}


def _init_predict(model_bytes: bytes | None) -> None:
    """Once per process: the model loaded from its bytes, the extractor built."""
    global _EXTRACTOR
    model = None
    if model_bytes is not None:
        from extraction.extractors.learned.model import load_model

        model = load_model(model_bytes)
    _EXTRACTOR = make_extractor(model)


def _predict_one(name: str) -> tuple[str, dict, float, str]:
    entry = _TEXTS.get(name) or {"error": "not read"}
    if "error" in entry:
        return name, {}, 0.0, f"read: {entry['error']}"
    t0 = time.perf_counter()
    try:
        doc = _EXTRACTOR.extract(entry["text"], deadline=time.monotonic() + 120).resume
        err = ""
    except Exception as exc:  # a failure scores as an empty resume
        doc, err = {}, f"extract: {type(exc).__name__}: {exc}"
    return name, doc, time.perf_counter() - t0, err


def predict(
    rows: list[dict], texts: dict, model_bytes: bytes | None, pred_dir: Path, jobs: int, quiet=False
) -> dict:
    """Predict `rows` into pred_dir/<file>.json; times and failures."""
    global _TEXTS
    _TEXTS = texts  # inherited by the forked workers
    pred_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    times, failures = [], 0
    items = [r["file"] for r in rows]

    def key(name: str) -> tuple[str, str]:
        entry = texts.get(name) or {}
        return name, entry.get("text", entry.get("error", ""))

    rules = model_bytes is None
    done = [(n, *_RULES_ONLY[key(n)]) for n in items if rules and key(n) in _RULES_ONLY]
    todo = [n for n in items if not (rules and key(n) in _RULES_ONLY)]
    fresh = _imap(_predict_one, todo, jobs, initializer=_init_predict, initargs=(model_bytes,))
    for name, doc, secs, err in itertools.chain(done, fresh):
        if rules:
            _RULES_ONLY[key(name)] = (doc, secs, err)
        if err:
            failures += 1
            if not quiet:
                print(f"  {name}: {err[:200]}", file=sys.stderr)
        else:
            times.append(secs * 1000)
        (pred_dir / f"{name}.json").write_text(
            json.dumps(doc, ensure_ascii=False), encoding="utf-8"
        )
    return {"seconds": time.perf_counter() - t0, "ms": times, "failures": failures}


# --------------------------------------------------------------------------- training
_TRAINER = None
_TRAIN_TASKS: list = []


def _train_task(index: int) -> float:
    """In a forked process: train and cache one model of `Trainer.pretrain`."""
    before = _TRAINER.seconds
    _TRAINER.model(*_TRAIN_TASKS[index])
    return _TRAINER.seconds - before


def _dev_rows(tasks) -> list[dict]:
    seen, out = set(), []
    for _, _, rows in tasks:
        for r in rows:
            if r["file"] not in seen:
                seen.add(r["file"])
                out.append(r)
    return out


class Trainer:
    def __init__(self, args, api, texts, corpus: Path, visibility: dict, text_key: str):
        self.args, self.api, self.texts = args, api, texts
        self.corpus, self.visibility, self.text_key = corpus, visibility, text_key
        self.dir = args.out / "models"
        self._truths: dict[str, dict] = {}
        import corpus_protocol as cp

        # The model's code as the run starts: the key of every model of this run.
        self.sources = cp.sources_hash(cp.learned_sources(), 64)
        self.stamps = {name: entry.get("stamp") for name, entry in texts.items()}
        self.seconds = 0.0
        self.trained = self.cached = 0

    def truth(self, pid: str) -> dict:
        if pid not in self._truths:
            raw = (self.corpus / f"{pid}.json").read_bytes()
            self._truths[pid] = json.loads(raw.decode("utf-8-sig"))
        return self._truths[pid]

    def path(self, split: str, fold: int | str, train: list[dict]) -> Path:
        import corpus_protocol as cp

        key = cp.model_key(split, fold, train, self.stamps, self.text_key, self.sources, cp.SEED)
        return self.dir / f"{split}-{fold}-{key}.model"

    def pretrain(self, tasks: list[tuple[str, int | str, list[dict]]]) -> None:
        """Train the models of `tasks` (split, fold, training rows) that are not
        cached yet, `--jobs` at a time (each training is one process)."""
        global _TRAIN_TASKS
        if self.api is None:
            return
        _TRAIN_TASKS = [t for t in tasks if not self.path(*t).exists()]
        if len(_TRAIN_TASKS) > 1 and self.args.jobs > 1:
            for r in _dev_rows(_TRAIN_TASKS):  # read once, before the fork
                self.truth(r["person_id"])
            for secs in _imap(_train_task, list(range(len(_TRAIN_TASKS))), self.args.jobs, 1):
                self.seconds += secs
                self.trained += 1

    def model(self, split: str, fold: int | str, train: list[dict]) -> bytes | None:
        """The model's bytes trained on `train` (cached), None for --model none."""
        if self.api is None:
            return None
        import corpus_protocol as cp

        path = self.path(split, fold, train)
        if path.exists():
            self.cached += 1
            return path.read_bytes()
        with_person = "person" in inspect.signature(self.api.Example).parameters
        examples = [
            self.api.Example(
                text=self.texts[r["file"]]["text"],
                truth=self.truth(r["person_id"]),
                hidden=list(self.visibility.get(r["file"], [])),
                file=r["file"],
                fmt=r["format"],
                theme=r["theme"],
                **({"person": r["person"]} if with_person else {}),
            )
            for r in train
            if "text" in self.texts.get(r["file"], {})
        ]
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data = self.api.train_model(examples, seed=cp.SEED)
        secs = time.perf_counter() - t0
        self.seconds += secs
        self.trained += 1
        kinds = sorted({w.category.__name__ for w in caught})
        print(
            f"  trained {split} fold {fold}: {len(examples)} documents, {secs:.1f} s, "
            f"{len(data) / 1024:.0f} KiB"
            + (f"; {len(caught)} warnings ({', '.join(kinds)})" if caught else ""),
            file=sys.stderr,
        )
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return data


# --------------------------------------------------------------------------- scoring
def start_score(truth_dir: Path, pred_dir: Path, manifest: Path) -> subprocess.Popen:
    """The reference scorer over `manifest`'s documents, started (see `finish_score`)."""
    return subprocess.Popen(
        [
            sys.executable,
            str(truth_dir / "score.py"),
            str(truth_dir),
            str(pred_dir),
            "--manifest",
            str(manifest),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_score(proc: subprocess.Popen) -> tuple[list[str], dict]:
    """The scorer's printed lines (without the JSON) and its JSON summary."""
    stdout, stderr = proc.communicate()
    lines = stdout.rstrip("\n").split("\n")
    try:
        summary = json.loads(lines[-1])
    except (json.JSONDecodeError, IndexError):
        summary = None
    if proc.returncode != 0 or not isinstance(summary, dict):
        raise RuntimeError(f"scorer failed ({proc.returncode}): {stderr.strip()[-500:]}")
    return lines[:-1], summary


def score(truth_dir: Path, pred_dir: Path, manifest: Path) -> tuple[list[str], dict]:
    return finish_score(start_score(truth_dir, pred_dir, manifest))


def scorer_module(truth_dir: Path):
    """DIR/score.py imported, for its own `score_document` and `Tally`."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_reference_score", truth_dir / "score.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def fold_summaries(truth_dir: Path, pred_dir: Path, parts: list[list[dict]]) -> list[dict]:
    """{"macro", "by_format"} per fold, as the scorer's summary of that fold's
    manifest would say, computed with the scorer's own functions: each document
    is scored once (the scorer's macro is over the merged tallies of its
    documents, so a fold is the merge of its documents' tallies)."""
    from collections import defaultdict

    mod = scorer_module(truth_dir)
    vis_path = truth_dir / "visibility.json"
    visibility = mod.load_json(str(vis_path)) if vis_path.exists() else {}
    truths: dict[str, dict] = {}
    out = []
    for rows in parts:
        overall, by_format = mod.Tally(), defaultdict(mod.Tally)
        for row in rows:
            pid = row["person_id"]
            if pid not in truths:
                truths[pid] = mod.load_json(str(truth_dir / f"{pid}.json"))
            pred = mod.load_json(str(pred_dir / f"{row['file']}.json")) or {}
            t = mod.score_document(truths[pid], pred, (visibility or {}).get(row["file"], []))
            for tally in (overall, by_format[row.get("format") or "?"]):
                tally.merge(t)
                tally.ndocs += 1

        def r4(v):
            return None if v is None else round(v, 4)

        out.append(
            {
                "macro": r4(overall.macro()),
                "by_format": {k: r4(v.macro()) for k, v in sorted(by_format.items())},
            }
        )
    return out


def fmt_formats(by_format: dict) -> str:
    return " ".join(f"{k} {v:.3f}" for k, v in sorted(by_format.items()) if v is not None)


def run_folds(name: str, by: str, rows: list[dict], ctx: SimpleNamespace) -> dict:
    """k-fold over `rows` by `by`: each fold predicted by a model trained on the
    others; tables for the union, a line per fold."""
    import corpus_protocol as cp

    split_dir = ctx.args.out / name
    pred_dir = split_dir / "predictions"
    shutil.rmtree(pred_dir, ignore_errors=True)
    parts = cp.folds(rows, by, ctx.args.folds)
    timing = {"ms": [], "failures": 0, "seconds": 0.0}
    for i, test in enumerate(parts):
        if not test:
            continue
        held = {r["file"] for r in test}
        model = ctx.trainer.model(name, i + 1, [r for r in rows if r["file"] not in held])
        p = predict(test, ctx.texts, model, pred_dir, ctx.args.jobs)
        timing["ms"] += p["ms"]
        timing["failures"] += p["failures"]
        timing["seconds"] += p["seconds"]
        cp.write_manifest(test, split_dir / f"fold-{i + 1}.csv")
    t0 = time.perf_counter()
    manifest = cp.write_manifest(rows, split_dir / "manifest.csv")
    proc = start_score(ctx.corpus, pred_dir, manifest)  # the tables, while the folds are scored
    try:
        per_fold = fold_summaries(ctx.corpus, pred_dir, parts)
    except AttributeError:  # a scorer without those functions: one run per fold
        per_fold = [
            score(ctx.corpus, pred_dir, split_dir / f"fold-{i + 1}.csv")[1]
            for i in range(len(parts))
        ]
    lines, summary = finish_score(proc)
    timing["scored"] = time.perf_counter() - t0
    unit = "families" if by == "family" else "people"
    print(f"\n===== ({name}) held-out {unit}: {len(rows)} documents, {ctx.args.folds} folds")
    print("\n".join(lines))
    fold_macros = []
    for i, test in enumerate(parts):
        if not test:
            print(f"fold {i + 1}: empty")
            continue
        s = per_fold[i]
        keys = sorted({cp.person_of(r) if by == "person" else r[by] for r in test})
        shown = ", ".join(keys) if by == "family" else f"{len(keys)} people"
        print(
            f"fold {i + 1}: {len(test):5d} docs, macro {s['macro']:.3f} "
            f"({fmt_formats(s['by_format'])}); {unit}: {shown}"
        )
        fold_macros.append(s["macro"])
    ms = timing["ms"]
    print(
        f"{name}: extract p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
        f"{timing['failures']} failed, predicted in {timing['seconds']:.1f} s, "
        f"scored in {timing['scored']:.1f} s"
    )
    summary["fold_macros"] = fold_macros
    return summary


def corpus_main(args) -> int:
    t_start = time.perf_counter()
    import corpus_protocol as cp

    setup_django()
    api, why = learned_api()
    kind = args.model or ("learned" if api else "none")
    if kind == "learned" and api is None:
        print(f"--model learned: the learned extractor is not importable ({why})", file=sys.stderr)
        return 2
    splits = [s.strip() for s in args.splits.split(",") if s.strip()]
    unknown = set(splits) - set(SPLITS)
    if unknown:
        print(f"unknown split(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2

    corpus = args.corpus.resolve()
    rows = cp.load_manifest(corpus)
    split = cp.split_documents(rows)
    dev = cp.limit_rows(split.dev, args.limit, "dev")
    sealed = cp.limit_rows(split.sealed, args.limit, "sealed")
    samples = cp.limit_rows(cp.load_manifest(args.samples), args.limit, "samples")
    visibility_path = corpus / "visibility.json"
    visibility = (
        json.loads(visibility_path.read_text(encoding="utf-8")) if visibility_path.exists() else {}
    )
    print(
        f"corpus {corpus}: {len(rows)} documents, {len({r['family'] for r in rows})} families, "
        f"{len({cp.person_of(r) for r in rows})} people; development {len(split.dev)}, "
        f"sealed {len(split.sealed)}, unused {len(split.unused)} "
        f"(sealed: {len(split.sealed_people)} people, families "
        f"{', '.join(sorted(split.sealed_families))}); model: {kind}"
        + (f" (learned not importable: {why})" if api is None else "")
    )

    text_cache = cp.text_cache_path(corpus)
    need = dev if {"layouts", "people", "samples"} & set(splits) else []
    need = need + (sealed if "sealed" in splits else [])
    texts, st = read_texts(corpus, need, text_cache, args.jobs)
    print(
        f"texts: {st['cached']} cached, {st['read']} read in {st['seconds']:.1f} s, "
        f"{st['errors']} unreadable ({text_cache.name})"
    )
    ctx = SimpleNamespace(
        args=args,
        corpus=corpus,
        texts=texts,
        trainer=Trainer(
            args,
            api if kind == "learned" else None,
            texts,
            corpus,
            visibility,
            text_cache.stem.split("-", 1)[1],
        ),
    )
    out: dict = {"model": kind}
    summaries: dict[str, dict] = {}
    global _TRAINER
    _TRAINER = ctx.trainer
    tasks = []
    for name, by in (("layouts", "family"), ("people", "person")):
        if name in splits:
            parts = cp.folds(dev, by, args.folds)
            for i, test in enumerate(parts):
                held = {r["file"] for r in test}
                if test:
                    tasks.append((name, i + 1, [r for r in dev if r["file"] not in held]))
    if {"samples", "sealed"} & set(splits):
        tasks.append(("all", "dev", dev))
    ctx.trainer.pretrain(tasks)

    if "layouts" in splits:
        summaries["layouts"] = run_folds("layouts", "family", dev, ctx)
    if "people" in splits:
        summaries["people"] = run_folds("people", "person", dev, ctx)

    full_model = None
    if {"samples", "sealed"} & set(splits):
        full_model = ctx.trainer.model("all", "dev", dev)

    if "samples" in splits:
        sample_texts, _ = read_texts(
            args.samples,
            samples,
            args.out / ".cache" / f"samples-{text_cache.name}",
            args.jobs,
        )
        pred_dir = args.out / "samples" / "predictions"
        shutil.rmtree(pred_dir, ignore_errors=True)
        p = predict(samples, sample_texts, full_model, pred_dir, args.jobs)
        manifest = cp.write_manifest(samples, args.out / "samples" / "manifest.csv")
        lines, s = score(args.samples, pred_dir, manifest)
        print(f"\n===== (samples) {args.samples}: {len(samples)} documents")
        print("\n".join(lines))
        print(f"samples: extract p95 {percentile(p['ms'], 95):.1f} ms, {p['failures']} failed")
        summaries["samples"] = s

    if "sealed" in splits:
        # Only the summary figures leave this block: no tables, no file names.
        tmp = Path(tempfile.mkdtemp(prefix="cv2web-sealed-"))
        try:
            p = predict(sealed, texts, full_model, tmp / "predictions", args.jobs, quiet=True)
            manifest = cp.write_manifest(sealed, tmp / "manifest.csv")
            _, s = score(corpus, tmp / "predictions", manifest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        summaries["sealed"] = {"macro": s["macro"], "by_format": s["by_format"]}
        print(
            f"\n===== (sealed) {len(sealed)} documents: macro {s['macro']:.3f} "
            f"({fmt_formats(s['by_format'])}), {p['failures']} failed"
        )

    lay = summaries.get("layouts") or {}
    fields = lay.get("fields") or {}
    by_format = lay.get("by_format") or {}
    out.update(
        {
            "layouts_macro": lay.get("macro"),
            "layouts_by_format": {f: by_format.get(f) for f in ("pdf", "docx", "txt")},
            "layouts_city": fields.get("basics.location.city"),
            "layouts_area_e2e": fields.get("education.area@e2e"),
            "layouts_studyType_e2e": fields.get("education.studyType@e2e"),
            "people_macro": (summaries.get("people") or {}).get("macro"),
            "sealed_macro": (summaries.get("sealed") or {}).get("macro"),
            "sealed_by_format": (summaries.get("sealed") or {}).get("by_format"),
            "samples_macro": (summaries.get("samples") or {}).get("macro"),
            "folds": lay.get("fold_macros", []),
            "people_folds": (summaries.get("people") or {}).get("fold_macros", []),
            "docs": {
                "development": len(dev),
                "sealed": len(sealed),
                "unused": len(split.unused),
                "samples": len(samples),
                "unreadable": st["errors"],
            },
        }
    )
    # The documented keys first, then the model and the times.
    out = {k: out[k] for k in [*list(out)[1:], "model"]}
    out["training_seconds"] = round(ctx.trainer.seconds, 1)
    out["seconds"] = round(time.perf_counter() - t_start, 1)
    ok, words = cp.acceptance(out)
    print()
    print(("PASS" if ok else "FAIL") + " (issue 11 acceptance): " + "; ".join(words))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
