"""The local extractor's line model: its file format is checked when loaded,
a bad file leaves the extractor on its rules (logged), the model's identity
is part of the fingerprint, and where the model is sure its answer is used."""

from __future__ import annotations

import gzip
import json
import logging

import pytest

from extraction.extractors.learned import context as learned
from extraction.extractors.learned import model as model_mod
from extraction.extractors.learned.model import ModelError, dump_model, load_model
from extraction.extractors.local import LocalExtractor
from extraction.extractors.local_sections import segment, work

LINE = list(model_mod.LABELS["line"])
PHRASE = list(model_mod.LABELS["phrase"])


def _row(labels: list[str], label: str, w: float = 8.0) -> list[float]:
    return [w if x == label else 0.0 for x in labels]


def tiny_model(line_weights: dict | None = None, phrase_weights: dict | None = None) -> bytes:
    line = {"bias": _row(LINE, "other", 4.0)}
    line.update(line_weights or {})
    phrase = {"bias": _row(PHRASE, "other", 1.0)}
    phrase.update(phrase_weights or {})
    return dump_model({"line": (LINE, line), "phrase": (PHRASE, phrase)}, {"documents": 0})


def _doc(data: bytes) -> dict:
    return json.loads(gzip.decompress(data))


def _pack(doc: dict) -> bytes:
    return gzip.compress(json.dumps(doc).encode())


def test_it_loads_what_it_writes():
    m = load_model(tiny_model({"sq=mycareer": _row(LINE, "head_work", 20.0)}))
    p = m.line.probabilities({"bias": 1.0, "sq=mycareer": 1.0})
    assert max(p, key=p.get) == "head_work"
    assert len(m.model_id) == 12


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda b: b[: len(b) // 2], "gzip"),
        (lambda b: gzip.compress(b"not json"), "not JSON"),
        (lambda b: _pack({**_doc(b), "format": "pickle"}), "not a cv2web-line-model"),
        (lambda b: _pack({**_doc(b), "version": 99}), "version 99"),
        (lambda b: _pack({**_doc(b), "classifiers": {}}), "classifiers"),
    ],
)
def test_it_refuses_a_damaged_or_foreign_file(damage, message):
    with pytest.raises(ModelError, match=message):
        load_model(damage(tiny_model()))


def test_it_refuses_unknown_labels_wrong_rows_and_edited_weights():
    doc = _doc(tiny_model({"w=x": _row(LINE, "name", 1.0)}))

    def edited(change) -> bytes:
        bad = json.loads(json.dumps(doc))
        change(bad["classifiers"])
        return _pack(bad)

    cases = [
        (lambda c: c["line"]["labels"].__setitem__(1, "exec"), "labels"),
        (lambda c: c["line"]["features"].append("bias"), "features"),
        (lambda c: c["line"].__setitem__("weights", c["line"]["weights"][:-4]), "rows"),
        (lambda c: c["line"].__setitem__("weights", "not base64!"), "base64"),
        (lambda c: c["phrase"].__setitem__("scale", "1"), "scale"),
        (lambda c: c["phrase"].__setitem__("scale", float("nan")), "scale"),
    ]
    for change, message in cases:
        with pytest.raises(ModelError, match=message):
            load_model(edited(change))

    def flip(c):  # a weight changed, the shape intact: only the checksum sees it
        w = c["line"]["weights"]
        c["line"]["weights"] = ("B" if w[0] != "B" else "C") + w[1:]

    with pytest.raises(ModelError, match="checksum"):
        load_model(edited(flip))


def test_weights_survive_the_16_bit_packing():
    m = load_model(tiny_model({"w=x": [0.001 * i - 0.005 for i in range(len(LINE))]}))
    got = m.line.scores({"w=x": 1.0})
    want = [0.001 * i - 0.005 for i in range(len(LINE))]
    assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 1e-3


def test_it_refuses_a_file_over_the_size_limit(monkeypatch):
    monkeypatch.setattr(model_mod, "MAX_BYTES", 100)
    with pytest.raises(ModelError, match="more than 100"):
        load_model(tiny_model())


def test_a_refused_model_file_leaves_the_rules_alone_and_says_why(tmp_path, caplog):
    path = tmp_path / "model.json.gz"
    path.write_bytes(b"\x1f\x8b garbage")
    model_mod.forget_default()
    try:
        with caplog.at_level(logging.ERROR, logger="extraction.extractors.learned.model"):
            assert model_mod.default_model(path) is None
        assert "refused" in caplog.text and "rules alone" in caplog.text
    finally:
        model_mod.forget_default()
    text = "Jane Roe\njane@example.org\n\nExperience\nEngineer, Acme Corp  2019 - 2021\n"
    assert LocalExtractor(model=None).extract(text, deadline=0).resume["work"]


def test_the_model_is_part_of_the_fingerprint():
    rules = LocalExtractor(model=None).fingerprint()
    a = LocalExtractor(model=load_model(tiny_model())).fingerprint()
    b = LocalExtractor(model=load_model(tiny_model({"w=x": _row(LINE, "name", 1.0)}))).fingerprint()
    assert len({rules, a, b}) == 3


def test_a_heading_no_word_list_knows_is_taken_where_the_model_is_sure():
    lines = ["Jane Roe", "Where I made things", "Engineer, Acme  2019 - 2021"]
    sure = load_model(tiny_model({"sq=whereimadethings": _row(LINE, "head_work", 20.0)}))
    with learned.using(sure):
        probs = learned.line_probabilities(lines, None)
    segs = segment.segment(lines, None, None, probs)
    assert [s.text for s in segs] == ["Jane Roe", "Engineer, Acme  2019 - 2021"]
    assert segs[-1].section == "work"
    # Without the model, or with one that is not sure, the line stays text.
    unsure = load_model(tiny_model({"sq=whereimadethings": _row(LINE, "head_work", 3.5)}))
    with learned.using(unsure):
        probs = learned.line_probabilities(lines, None)
    assert [s.text for s in segment.segment(lines, None, None, probs)] == lines
    assert [s.text for s in segment.segment(lines)] == lines


def test_the_model_orders_title_and_employer_where_the_rules_cannot():
    # Neither phrase has a title or company word the rules know.
    parts = ["Ninja of Things", "Zorblax"]
    assert work._work(parts) == {"position": "Ninja of Things", "name": "Zorblax"}
    # The rules take the first part for the title when no word tells them.
    assert work._work(list(reversed(parts))) == {
        "position": "Zorblax",
        "name": "Ninja of Things",
    }
    m = load_model(
        tiny_model(
            phrase_weights={
                "w=zorblax": _row(PHRASE, "employer"),
                "w=ninja": _row(PHRASE, "position"),
            }
        )
    )
    with learned.using(m):
        assert work._work(list(reversed(parts))) == {
            "position": "Ninja of Things",
            "name": "Zorblax",
        }
    assert learned.work_order("a", "b") is None  # no model in use


def test_the_committed_model_loads_and_the_extractor_uses_it():
    data = model_mod.DEFAULT_PATH.read_bytes()
    assert len(data) < 20 * 1024 * 1024
    committed = load_model(data)
    model_mod.forget_default()
    try:
        extractor = LocalExtractor()
        assert extractor.model is not None
        assert extractor.model.model_id == committed.model_id
        assert extractor.fingerprint() != LocalExtractor(model=None).fingerprint()
    finally:
        model_mod.forget_default()


# --------------------------------------------------------------------------- weak labels
def test_a_title_wrapped_over_two_lines_labels_both_lines():
    from extraction.extractors.learned.labels import label_lines

    truth = {
        "education": [
            {
                "institution": "Springfield State University San Luis Obispo",
                "studyType": "Bachelor",
                "area": "Computer Engineering",
            }
        ],
        "work": [{"name": "Widgetry", "position": "Senior Site Reliability Engineer"}],
    }
    lines = [
        "Education",
        "Springfield State University San",
        "Luis Obispo",
        "Bachelor in Computer Engineering",
        "Sep 2007 – Jun 2011",
        "Widgetry",
        "Senior Site Reliability",
        "Engineer",
        "Ecole des Mines de Saint-",
        "Etienne",
    ]
    got = dict(zip(lines, label_lines(lines, truth), strict=True))
    assert got["Springfield State University San"] == "institution"
    assert got["Luis Obispo"] == "institution"
    assert got["Senior Site Reliability"] == "position"
    assert got["Engineer"] == "position"
    assert got["Ecole des Mines de Saint-"] == "other"  # no value of the truth
