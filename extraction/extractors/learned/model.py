"""The line model: two linear classifiers over named features
(`features.py`), kept in one small file, checked when it is loaded.

Format (version 1): gzip of one JSON document::

    {"format": "cv2web-line-model", "version": 1,
     "model_id": "<12 hex: sha256 of every classifier's labels, features, scale, weights>",
     "classifiers": {
        "line" | "phrase": {
            "labels": ["other", ...],            # known labels only
            "features": ["bias", "w=engineer", ...],   # distinct names
            "scale": 0.00031,                    # weight = int16 value * scale
            "weights": "<base64 of len(features) * len(labels) int16, little-endian>"}},
     "trained": {...facts about the training run, free form...}}

Weights are quantised to 16 bits (a loss far below what moves a decision) so
that the file loads in milliseconds. Nothing in the file is executed or
unpickled: a file that is not exactly this shape is refused with
`ModelError`, and the extractor then runs on its rules alone (and logs why).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import logging
import math
import sys
import threading
from array import array
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
    """A linear classifier over named features: one weight per label and
    feature (rows of integers times one scale)."""

    def __init__(self, labels: list[str], weights: dict, scale: float = 1.0):
        self.labels = labels
        self.weights = weights
        self.scale = scale

    def scores(self, features: dict[str, float]) -> list[float]:
        w = self.weights
        rows = []
        for name, value in features.items():
            row = w.get(name)
            if row is not None:
                rows.append(row if value == 1.0 else [x * value for x in row])
        if not rows:
            return [0.0] * len(self.labels)
        scale = self.scale
        return [sum(col) * scale for col in zip(*rows, strict=True)]

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


def model_id(body: dict) -> str:
    h = hashlib.sha256()
    for name in sorted(body):
        c = body[name]
        h.update(json.dumps([name, c["labels"], c["features"], c["scale"]]).encode())
        h.update(c["weights"].encode("ascii"))
    return h.hexdigest()[:12]


def _pack(labels: list[str], weights: dict[str, list[float]]) -> dict:
    features = sorted(weights)
    top = max((abs(x) for row in weights.values() for x in row), default=0.0) or 1.0
    scale = top / 32767
    values = array("h", (round(x / scale) for f in features for x in weights[f]))
    if sys.byteorder != "little":
        values.byteswap()
    return {
        "labels": list(labels),
        "features": features,
        "scale": scale,
        "weights": base64.b64encode(values.tobytes()).decode("ascii"),
    }


def dump_model(
    classifiers: dict[str, tuple[list[str], dict[str, list[float]]]], trained: dict
) -> bytes:
    """The model file's bytes for `{name: (labels, {feature: weights per label})}`."""
    body = {name: _pack(labels, weights) for name, (labels, weights) in sorted(classifiers.items())}
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
    features = c.get("features")
    if (
        not isinstance(features, list)
        or not all(isinstance(f, str) for f in features)
        or len(set(features)) != len(features)
    ):
        raise ModelError(f"{name} classifier features are missing or repeated")
    scale = c.get("scale")
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not 0 < scale < 1e6:
        raise ModelError(f"{name} classifier scale is not a positive number")
    k = len(labels)
    try:
        packed = base64.b64decode(c.get("weights") or "", validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise ModelError(f"{name} weights are not base64: {exc}") from exc
    if len(packed) != 2 * k * len(features):
        raise ModelError(f"{name} weights are not {len(features)} rows of {k} numbers")
    values = array("h")
    values.frombytes(packed)
    if sys.byteorder != "little":
        values.byteswap()
    rows = {f: values[i * k : (i + 1) * k] for i, f in enumerate(features)}
    return Classifier(labels, rows, float(scale))


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
