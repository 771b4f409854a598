"""The corpus protocol of bench/accuracy.py (issue 11, item 2): folds are
fixed by the seed, and nothing of the sealed split is ever trained on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import corpus_protocol as cp  # noqa: E402

PEOPLE = [f"c-{i:03d}" for i in range(1, 31)]
FAMILIES = [f"fam{j}" for j in range(12)]


def corpus_rows() -> list[dict]:
    rows = []
    for p in PEOPLE:
        for f in FAMILIES:
            for fmt in ("pdf", "txt"):
                rows.append(
                    {
                        "file": f"{p}-{f}.{fmt}",
                        "person_id": p,
                        "theme": f,
                        "family": f,
                        "format": fmt,
                    }
                )
    return rows


def test_deal_is_fixed_by_the_seed_and_balanced():
    a = cp.deal(FAMILIES, 5, "family")
    assert a == cp.deal(list(reversed(FAMILIES)) + FAMILIES[:3], 5, "family")
    sizes = [list(a.values()).count(i) for i in range(5)]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == len(FAMILIES)
    assert a != cp.deal(FAMILIES, 5, "family", seed=cp.SEED + 1)


def test_sealed_split_partitions_the_documents():
    rows = corpus_rows()
    s = cp.split_documents(rows, PEOPLE)
    assert (s.sealed_people, s.sealed_families) == cp.sealed_split(
        PEOPLE, [r["family"] for r in rows]
    )
    assert len(s.sealed_people) == 6 and len(s.sealed_families) == 3
    assert len(s.dev) + len(s.sealed) + len(s.unused) == len(rows)
    for r in s.sealed:
        assert r["person_id"] in s.sealed_people and r["family"] in s.sealed_families
    for r in s.dev:
        assert r["person_id"] not in s.sealed_people and r["family"] not in s.sealed_families
    for r in s.unused:
        assert (r["person_id"] in s.sealed_people) != (r["family"] in s.sealed_families)
    assert cp.split_documents(list(reversed(rows)), PEOPLE).sealed_families == s.sealed_families


@pytest.mark.parametrize("by", ["family", "person_id"])
def test_folds_hold_out_their_keys_and_never_train_on_sealed(by):
    s = cp.split_documents(corpus_rows(), PEOPLE)
    dev = cp.limit_rows(s.dev, 200, "dev")
    parts = cp.folds(dev, by, 5)
    again = cp.folds(list(reversed(dev)), by, 5)  # the manifest's order does not matter
    assert [{r["file"] for r in p} for p in parts] == [{r["file"] for r in p} for p in again]
    assert sorted(r["file"] for p in parts for r in p) == sorted(r["file"] for r in dev)
    for i, test in enumerate(parts):
        held = {r[by] for r in test}
        train = [r for j, p in enumerate(parts) if j != i for r in p]
        assert not held & {r[by] for r in train}
        assert not {r["file"] for r in train} & {r["file"] for r in s.sealed}
        assert not {r["person_id"] for r in train} & s.sealed_people
        assert not {r["family"] for r in train} & s.sealed_families


def test_limit_is_a_stable_subset():
    rows = corpus_rows()
    a = cp.limit_rows(rows, 50, "dev")
    assert len(a) == 50 and a == cp.limit_rows(rows, 50, "dev")
    assert {r["file"] for r in a} <= {r["file"] for r in rows}
    assert cp.limit_rows(rows, None, "dev") == rows


def test_acceptance_reads_every_figure():
    good = {
        "layouts_macro": 0.91,
        "layouts_by_format": {"pdf": 0.9, "docx": 0.9, "txt": 0.89},
        "layouts_city": 0.8,
        "layouts_area_e2e": 0.8,
        "layouts_studyType_e2e": 0.8,
        "people_macro": 0.92,
        "sealed_macro": 0.9,
        "samples_macro": 0.96,
    }
    assert cp.acceptance(good)[0]
    assert not cp.acceptance({**good, "layouts_by_format": {"pdf": 0.9, "docx": 0.9}})[0]
    assert not cp.acceptance({**good, "sealed_macro": None})[0]


def test_model_key_follows_the_training_documents():
    rows = corpus_rows()[:20]
    stamps = {r["file"]: [1, 2] for r in rows}
    key = cp.model_key("layouts", 1, rows, stamps, "t", "src", cp.SEED)
    assert key == cp.model_key("layouts", 1, list(reversed(rows)), stamps, "t", "src", cp.SEED)
    assert key != cp.model_key("layouts", 1, rows[1:], stamps, "t", "src", cp.SEED)
    assert key != cp.model_key(
        "layouts", 1, rows, {**stamps, rows[0]["file"]: [1, 3]}, "t", "src", cp.SEED
    )
    assert key != cp.model_key("layouts", 1, rows, stamps, "t", "other source", cp.SEED)
    # A document labelled from another truth (its dates as years only) is
    # another training example.
    other = [{**rows[0], "person_id": rows[0]["person_id"] + "~years-work"}, *rows[1:]]
    assert key != cp.model_key("layouts", 1, other, stamps, "t", "src", cp.SEED)


def test_a_family_added_after_the_seal_neither_moves_it_nor_is_sealed():
    from tools.cvcorpus.common import LATER_FAMILIES

    rows = corpus_rows()
    later = sorted(LATER_FAMILIES)[:4]
    grown = rows + [
        {**r, "file": r["file"].replace(r["family"], f), "theme": f, "family": f}
        for f in later
        for r in rows
        if r["family"] == "fam0"
    ]
    before, after = cp.split_documents(rows, PEOPLE), cp.split_documents(grown, PEOPLE)
    assert after.sealed_families == before.sealed_families
    assert after.sealed_people == before.sealed_people
    assert [r["file"] for r in after.sealed] == [r["file"] for r in before.sealed]
    # Their documents develop (or, of a sealed person, are used for nothing).
    added = [r for r in after.dev + after.unused if r["family"] in later]
    assert len(added) == len(later) * len(PEOPLE) * 2
    assert not {r["family"] for r in after.sealed} & LATER_FAMILIES


def test_a_document_with_a_truth_of_its_own_is_split_and_folded_with_its_person():
    # A document printing its dates as years only is scored against
    # `<person>~years.json`: the same person for the sealed split and the folds.
    rows = corpus_rows()
    for r in rows:
        if r["family"] in ("fam1", "fam2"):
            r["person"], r["person_id"] = r["person_id"], r["person_id"] + "~years"
    s = cp.split_documents(rows, PEOPLE)
    plain = cp.split_documents(corpus_rows(), PEOPLE)
    assert (s.sealed_people, s.sealed_families) == (plain.sealed_people, plain.sealed_families)
    assert [r["file"] for r in s.sealed] == [r["file"] for r in plain.sealed]
    assert [r["file"] for r in s.dev] == [r["file"] for r in plain.dev]
    assert cp.all_person_ids(rows) == sorted(PEOPLE)
    parts = cp.folds(s.dev, "person", 5)
    for i, test in enumerate(parts):
        train = [r for j, p in enumerate(parts) if j != i for r in p]
        assert not {cp.person_of(r) for r in test} & {cp.person_of(r) for r in train}


def test_the_manifest_names_each_rows_person():
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        rows = [
            {"file": "c-001-a.pdf", "person_id": "c-001", "person": "", "family": "a"},
            {"file": "c-001-b.pdf", "person_id": "c-001~years", "person": "c-001", "family": "b"},
        ]
        cp.write_manifest(rows, Path(d) / "manifest.csv")
        loaded = cp.load_manifest(Path(d))
    assert [r["person"] for r in loaded] == ["c-001", "c-001"]
    assert [r["person_id"] for r in loaded] == ["c-001", "c-001~years"]
