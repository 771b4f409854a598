"""The honest protocol over a generated corpus (issue 11, item 2): which
documents are sealed, which develop, how they are dealt into folds, and the
caches that make a rerun fast. Pure Python (no Django): the unit tests read it.

A corpus is a folder shaped like shared/cv-samples (manifest.csv with a
`family` column, visibility.json, <person>.json truth files, score.py). A
row's `person_id` names its truth file; its `person` column, where there is
one, names the person (a document that prints its dates as years only has the
truth `<person>~years.json`), and splits and folds go by the person.

- Sealed split (`tools.cvcorpus.common.sealed_split`, the generator's fixed
  seed): 20% of the people and 3 layout families. A *sealed document* is a
  sealed person's document in a sealed family; a *development document* has
  neither a sealed person nor a sealed family; every other document (a sealed
  person in a development family, a development person in a sealed family)
  is used for nothing, so that nothing of the sealed split is ever trained on.
- Folds: the keys (families, or people) are sorted, shuffled with a generator
  fixed by the seed and the split's name, and dealt round-robin into k folds.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tools.cvcorpus.common import SEED, sealed_split, stable_rng  # noqa: E402

SOURCE_MANIFEST = REPO.parent / "shared" / "cv-corpus" / "manifest.csv"
# What the readers' text depends on (every module of the readers package): a change
# to one reads every document again (the rules' own clean-up, local_rules/text.py,
# runs inside extraction, after the cache).
TEXT_SOURCES = tuple(sorted((REPO / "extraction" / "readers").glob("*.py")))
LEARNED_DIR = REPO / "extraction" / "extractors" / "learned"
RULES_DIR = REPO / "extraction" / "extractors" / "local_rules"

# Issue 11, acceptance 1: (summary key, threshold).
ACCEPTANCE = (
    ("layouts_macro", 0.90),
    ("layouts_by_format.pdf", 0.88),
    ("layouts_by_format.docx", 0.88),
    ("layouts_by_format.txt", 0.88),
    ("layouts_city", 0.75),
    ("layouts_area_e2e", 0.75),
    ("layouts_studyType_e2e", 0.75),
    ("people_macro", 0.90),
    ("sealed_macro", 0.88),
    ("samples_macro", 0.95),
)


# --------------------------------------------------------------------------- manifest
def load_manifest(corpus: Path) -> list[dict]:
    """The manifest's rows; `family` defaults to the theme (shared/cv-samples has none)."""
    with open(Path(corpus) / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["person"] = row.get("person") or row["person_id"]
        row["family"] = row.get("family") or row.get("theme") or "?"
        row["format"] = row.get("format") or Path(row["file"]).suffix.lstrip(".").lower()
    return rows


def write_manifest(rows: Iterable[dict], path: Path) -> Path:
    rows = list(rows)
    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields or ["file", "person_id"])
        w.writeheader()
        w.writerows(rows)
    return path


def person_of(row: dict) -> str:
    """The person a manifest row's document is of (see the module's docstring)."""
    return row.get("person") or row["person_id"]


def all_person_ids(rows: list[dict], source_manifest: Path = SOURCE_MANIFEST) -> list[str]:
    """The people the sealed split is drawn from: every person of shared/cv-corpus
    (so that the split does not move while the corpus is still being rendered),
    or the manifest's own people when they are not from there (a test folder)."""
    ids = {person_of(r) for r in rows}
    if source_manifest.exists():
        with open(source_manifest, newline="", encoding="utf-8") as fh:
            source = {r["id"] for r in csv.DictReader(fh)}
        if ids <= source:
            return sorted(source)
    return sorted(ids)


# --------------------------------------------------------------------------- sealed split
@dataclass
class Split:
    dev: list[dict] = field(default_factory=list)
    sealed: list[dict] = field(default_factory=list)
    unused: list[dict] = field(default_factory=list)
    sealed_people: set[str] = field(default_factory=set)
    sealed_families: set[str] = field(default_factory=set)


def split_documents(rows: list[dict], person_ids: Iterable[str] | None = None) -> Split:
    people = list(person_ids) if person_ids is not None else all_person_ids(rows)
    sealed_people, sealed_families = sealed_split(people, [r["family"] for r in rows])
    out = Split(sealed_people=sealed_people, sealed_families=sealed_families)
    for row in rows:
        p, f = person_of(row) in sealed_people, row["family"] in sealed_families
        if p and f:
            out.sealed.append(row)
        elif not p and not f:
            out.dev.append(row)
        else:
            out.unused.append(row)
    return out


# --------------------------------------------------------------------------- folds
def deal(keys: Iterable[str], k: int, name: str, seed: int = SEED) -> dict[str, int]:
    """key -> fold (0..k-1): sorted, shuffled with the seed and `name`, dealt round-robin."""
    ordered = sorted(set(keys))
    rng = stable_rng("folds", name, str(seed))
    rng.shuffle(ordered)
    return {key: i % k for i, key in enumerate(ordered)}


def folds(rows: list[dict], by: str, k: int, seed: int = SEED) -> list[list[dict]]:
    """The rows in k folds by `by` ("family" or "person"); a fold may be
    empty when there are fewer keys than folds."""
    key = person_of if by == "person" else (lambda r: r[by])
    assign = deal((key(r) for r in rows), k, by, seed)
    out: list[list[dict]] = [[] for _ in range(k)]
    for row in rows:
        out[assign[key(row)]].append(row)
    return out


def limit_rows(rows: list[dict], n: int | None, tag: str) -> list[dict]:
    """At most n rows, drawn by a stable hash of the file name (so a quick run
    still mixes people, layouts and formats), in manifest order."""
    if not n or len(rows) <= n:
        return list(rows)

    def h(r: dict) -> str:
        return hashlib.sha256(f"{SEED}|{tag}|{r['file']}".encode()).hexdigest()

    keep = {r["file"] for r in sorted(rows, key=h)[:n]}
    return [r for r in rows if r["file"] in keep]


# --------------------------------------------------------------------------- caches
def sources_hash(paths: Iterable[Path], n: int = 12) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + b"\0")
        h.update(p.read_bytes() if p.exists() else b"<absent>")
        h.update(b"\0")
    return h.hexdigest()[:n]


def text_cache_path(corpus: Path) -> Path:
    return Path(corpus) / ".cache" / f"texts-{sources_hash(TEXT_SOURCES)}.jsonl"


def file_stamp(path: Path) -> list[int]:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]


def load_text_cache(path: Path) -> dict[str, dict]:
    """file -> {"text": ...} or {"error": ...} (with the file's size and mtime)."""
    out: dict[str, dict] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a run killed mid-line: that document is read again
            if isinstance(entry, dict) and "file" in entry:
                out[entry["file"]] = entry
    return out


def learned_sources() -> list[Path]:
    """What a trained model depends on besides its documents: the learned
    package and the rules its features and labels call."""
    return sorted(LEARNED_DIR.glob("*.py")) + sorted(RULES_DIR.glob("*.py"))


def model_key(
    split: str,
    fold: int | str,
    train: list[dict],
    stamps: dict[str, list[int]],
    text_key: str,
    sources: str,
    seed: int,
) -> str:
    """The cache key of a model trained on `train`: the training documents
    (name, the truth they are labelled from, and size and mtime when their
    text was read: `stamps`), the texts' reader version, the model's source
    (`sources`, hashed once per run, so that an edit during a run does not
    retrain), the seed."""
    h = hashlib.sha256(f"{split}|{fold}|{seed}|{text_key}|{sources}".encode())
    for row in sorted(train, key=lambda r: r["file"]):
        truth = row.get("person_id", "")
        h.update(f"{row['file']}|{truth}|{stamps.get(row['file'])}\n".encode())
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------- acceptance
def lookup(summary: dict, dotted: str):
    v = summary
    for part in dotted.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    return v


def acceptance(summary: dict) -> tuple[bool, list[str]]:
    """(all met, one word per figure: `key value>=threshold ok|FAIL`)."""
    ok, words = True, []
    for key, threshold in ACCEPTANCE:
        v = lookup(summary, key)
        good = isinstance(v, (int, float)) and v >= threshold
        ok = ok and good
        shown = "n/a" if v is None else f"{v:.3f}"
        words.append(f"{key} {shown}{'>=' if good else '<'}{threshold:.2f}")
    return ok, words
