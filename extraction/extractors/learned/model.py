"""The line model: a linear classifier over `features.line_features`, kept in
one small JSON file (gzip), checked field by field when it is loaded.

Format (version 1)::

    {"format": "cv2web-line-model", "version": 1,
     "model_id": "<12 hex: sha256 of labels and weights>",
     "labels": ["other", "name", ...],
     "weights": {"<feature>": [w_label0, w_label1, ...], ...},
     "trained": {...facts about the training run, free form...}}

Nothing in the file is executed or unpickled: a file that is not exactly this
shape is refused with `ModelError`, and the extractor then runs on its rules
alone (and logs why).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import math
import threading
from pathlib import Path

log = logging.getLogger(__name__)

FORMAT = "cv2web-line-model"
VERSION = 1
MAX_BYTES = 20 * 1024 * 1024
DEFAULT_PATH = Path(__file__).with_name("line_model.json.gz")

# Every label each classifier may carry (a model may carry a subset that
# includes "other", never a label outside these lists).
LABELS = {
    # what a line of the document is
    "line": (
        "other",
        "name",
        "contact",
        "head_work",
        "head_education",
        "head_skills",
        "head_languages",
        "head_other",
        "employer",
        "position",
        "employer_position",
        "institution",
        "degree",
        "institution_degree",
        "date",
        "skill",
    ),
    # what kind of thing a short phrase names (a part of an entry's header)
    "phrase": ("other", "employer", "position", "institution", "studyType", "area", "location"),
}


class ModelError(ValueError):
    """The model file is missing, corrupt, or of another format or version."""


class Classifier:
    """A linear classifier over named features: one weight per label and feature."""

    def __init__(self, labels: list[str], weights: dict[str, list[float]]):
        self.labels = labels
        self.weights = weights

    def scores(self, features: dict[str, float]) -> list[float]:
        w = self.weights
        rows = []
        for name, value in features.items():
            row = w.get(name)
            if row is not None:
                rows.append(row if value == 1.0 else [x * value for x in row])
        if not rows:
            return [0.0] * len(self.labels)
        return [sum(col) for col in zip(*rows, strict=True)]

    def probabilities(self, features: dict[str, float]) -> dict[str, float]:
        s = self.scores(features)
        top = max(s)
        e = [math.exp(x - top) for x in s]
        total = sum(e)
        return {label: v / total for label, v in zip(self.labels, e, strict=True)}


class LineModel:
    """The model file: a `line` and a `phrase` classifier and its identity."""

    def __init__(self, classifiers: dict[str, Classifier], model_id: str, trained: dict):
        self.line = classifiers["line"]
        self.phrase = classifiers["phrase"]
        self.model_id = model_id
        self.trained = trained


def model_id(classifiers: dict) -> str:
    body = json.dumps(
        {n: [c["labels"], sorted(c["weights"].items())] for n, c in sorted(classifiers.items())},
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()[:12]


def dump_model(
    classifiers: dict[str, tuple[list[str], dict[str, list[float]]]], trained: dict
) -> bytes:
    """The model file's bytes for `{name: (labels, weights)}`."""
    body = {
        name: {
            "labels": list(labels),
            "weights": {k: [round(x, 4) for x in v] for k, v in sorted(weights.items())},
        }
        for name, (labels, weights) in sorted(classifiers.items())
    }
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "model_id": model_id(body),
        "classifiers": body,
        "trained": trained,
    }
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return gzip.compress(raw, compresslevel=9, mtime=0)


def _check_classifier(name: str, c) -> Classifier:
    if not isinstance(c, dict):
        raise ModelError(f"model has no {name} classifier")
    labels = c.get("labels")
    if (
        not isinstance(labels, list)
        or len(set(labels)) != len(labels)
        or any(label not in LABELS[name] for label in labels)
        or "other" not in labels
        or len(labels) < 2
    ):
        raise ModelError(f"{name} classifier labels are missing, repeated or unknown")
    weights = c.get("weights")
    if not isinstance(weights, dict):
        raise ModelError(f"{name} classifier has no weights")
    k = len(labels)
    for fname, row in weights.items():
        if (
            not isinstance(row, list)
            or len(row) != k
            or not all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                for x in row
            )
        ):
            raise ModelError(f"{name} weights for {fname!r} are not {k} finite numbers")
    return Classifier(labels, {f: [float(x) for x in row] for f, row in weights.items()})


def load_model(data: bytes) -> LineModel:
    """The model in `data` (the file's bytes), or `ModelError` saying what is wrong."""
    if len(data) > MAX_BYTES:
        raise ModelError(f"model file is {len(data)} bytes, more than {MAX_BYTES}")
    try:
        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    except (OSError, EOFError) as exc:
        raise ModelError(f"model file is not valid gzip: {exc}") from exc
    if len(raw) > 8 * MAX_BYTES:
        raise ModelError("model file expands beyond its size limit")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"model file is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelError(f"not a {FORMAT} file")
    if doc.get("version") != VERSION:
        raise ModelError(
            f"model format version {doc.get('version')!r}; this code reads version {VERSION}"
        )
    body = doc.get("classifiers")
    if not isinstance(body, dict) or set(body) != set(LABELS):
        raise ModelError(f"model classifiers must be exactly {sorted(LABELS)}")
    classifiers = {name: _check_classifier(name, body[name]) for name in LABELS}
    if doc.get("model_id") != model_id(body):
        raise ModelError("model checksum does not match its weights (a damaged or edited file)")
    trained = doc.get("trained") if isinstance(doc.get("trained"), dict) else {}
    return LineModel(classifiers, doc["model_id"], trained)


_lock = threading.Lock()
_loaded: dict[str, LineModel | None] = {}


def default_model(path: Path | None = None) -> LineModel | None:
    """The committed model, loaded once per process; None (rules only, logged
    once) when the file is absent or refused."""
    key = str(path or DEFAULT_PATH)
    if key in _loaded:
        return _loaded[key]
    with _lock:
        if key not in _loaded:
            try:
                _loaded[key] = load_model(Path(key).read_bytes())
            except FileNotFoundError:
                log.warning("line model %s not found: the local extractor runs on rules alone", key)
                _loaded[key] = None
            except ModelError as exc:
                log.error(
                    "line model %s refused (%s): the local extractor runs on rules alone", key, exc
                )
                _loaded[key] = None
    return _loaded[key]


def forget_default() -> None:
    """Tests: load the file again on next use."""
    _loaded.clear()
