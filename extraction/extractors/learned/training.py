"""Training the line model from a generated corpus (`make train-extractor`).

Development only: it needs scikit-learn (requirements-dev.txt), the product
does not. Each document's lines are labelled from its truth ("weak"
labels): a line equal to a work entry's employer is `employer`, a short
line right above the first line of a section's content is that section's
heading, and so on (`labels.label_lines`). A multinomial logistic regression is fit
on `features.line_features`; its weights are written in `model.py`'s format.
Words that occur in the documents of fewer than `MIN_PEOPLE` people are not
features, so the model learns the words of kinds of things (university,
engineer, experience), never one person's, employer's or school's name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..local_rules.text import prepare_layout
from . import features as F
from .labels import _entries, label_lines
from .model import dump_model

MIN_PEOPLE = 3
_WORD_FEATURES = ("w=", "w0=", "wl=", "sq=", "p1:w=", "n1:w=", "pre=", "suf=")


@dataclass
class Example:
    text: str
    truth: dict
    hidden: list[str] = field(default_factory=list)
    file: str = ""
    fmt: str = ""
    theme: str = ""
    person: str = ""


def document_lines(text: str) -> tuple[list[str], list[tuple[str, ...]]]:
    lines, runs, _ = prepare_layout(text or "")
    return lines, runs


def featurise(examples: list[Example]) -> tuple[list[dict], list[str], list[str]]:
    """(feature dicts, labels, person of each line) over every example."""
    X, y, who = [], [], []
    for ex in examples:
        lines, runs = document_lines(ex.text)
        labels = label_lines(lines, ex.truth)
        feats = F.line_features(lines, runs)
        X.extend(feats)
        y.extend(labels)
        who.extend([ex.person or ex.file] * len(lines))
    return X, y, who


def _keep_common_words(X: list[dict], who: list[str]) -> list[dict]:
    people: dict[str, set[str]] = defaultdict(set)
    for f, p in zip(X, who, strict=True):
        for k in f:
            if k.startswith(_WORD_FEATURES):
                people[k].add(p)
    keep = {k for k, ps in people.items() if len(ps) >= MIN_PEOPLE}
    return [
        {k: v for k, v in f.items() if not k.startswith(_WORD_FEATURES) or k in keep} for f in X
    ]


def phrases(truth: dict) -> list[tuple[str, str]]:
    """(phrase, kind) pairs of a truth: the values an entry's header prints."""
    out: list[tuple[str, str]] = []

    def add(v, kind: str) -> None:
        if isinstance(v, str) and v.strip() and len(v) <= 120:
            out.append((v.strip(), kind))

    b = truth.get("basics") if isinstance(truth.get("basics"), dict) else {}
    loc = b.get("location") if isinstance(b.get("location"), dict) else {}
    for k in ("city", "region"):
        add(loc.get(k), "location")
    for w in _entries(truth.get("work")):
        add(w.get("name") or w.get("company"), "employer")
        add(w.get("position"), "position")
        add(w.get("location"), "location")
        for h in (w.get("highlights") if isinstance(w.get("highlights"), list) else [])[:2]:
            if isinstance(h, str):
                add(" ".join(h.split()[:6]), "other")
    for e in _entries(truth.get("education")):
        add(e.get("institution"), "institution")
        add(e.get("studyType"), "studyType")
        add(e.get("area"), "area")
    for s in _entries(truth.get("skills"))[:6]:
        add(s.get("name"), "other")
    for p in _entries(truth.get("projects"))[:4]:
        add(p.get("name"), "other")
    for a in _entries(truth.get("awards"))[:3]:
        add(a.get("title"), "other")
    add(b.get("label"), "position")
    return out


def _fit(X: list[dict], y: list[str], who: list[str], seed: int, alpha: float):
    # Imported here, not at the top: scikit-learn is a training-only dependency
    # (requirements-dev.txt), which the product does not install.
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import SGDClassifier

    X = _keep_common_words(X, who)
    vec = DictVectorizer()
    M = vec.fit_transform(X).tocsr()
    # SGD takes 32-bit indices only; DictVectorizer may hand out 64-bit ones.
    M.indices = M.indices.astype("int32")
    M.indptr = M.indptr.astype("int32")
    clf = SGDClassifier(
        loss="log_loss", alpha=alpha, max_iter=30, tol=1e-4, random_state=seed, average=True
    )
    clf.fit(M, y)
    labels = [str(x) for x in clf.classes_]
    coef = clf.coef_
    weights: dict[str, list[float]] = {}
    for j, fname in enumerate(vec.get_feature_names_out()):
        row = [float(coef[k][j]) for k in range(len(labels))]
        if max(abs(x) for x in row) >= 0.01:
            weights[str(fname)] = row
    intercept = [float(x) for x in clf.intercept_]
    weights["bias"] = [
        a + b for a, b in zip(weights.get("bias", [0.0] * len(labels)), intercept, strict=True)
    ]
    return labels, weights


def train_model(examples: list[Example], seed: int = 0, alpha: float = 2e-5) -> bytes:
    """The model file's bytes, trained on `examples`."""
    X, y, who = featurise(examples)
    line = _fit(X, y, who, seed, alpha)
    PX, py, pwho = [], [], []
    seen = set()
    for ex in examples:
        if ex.person in seen:
            continue
        seen.add(ex.person)
        for text, kind in phrases(ex.truth):
            PX.append(F.phrase_features(text))
            py.append(kind)
            pwho.append(ex.person)
    phrase = _fit(PX, py, pwho, seed, alpha * 5)
    counts: dict[str, int] = defaultdict(int)
    for label in y:
        counts[label] += 1
    trained = {
        "documents": len(examples),
        "people": len(seen),
        "lines": len(y),
        "phrases": len(py),
        "label_counts": dict(sorted(counts.items())),
        "alpha": alpha,
        "min_people_per_word": MIN_PEOPLE,
    }
    return dump_model({"line": line, "phrase": phrase}, trained)
