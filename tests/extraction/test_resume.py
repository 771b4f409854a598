"""extraction.resume: normalise, validate, snapshot limits (SPEC E-2, E-6)."""

from __future__ import annotations

import json

import pytest

from extraction import resume
from extraction.resume import InvalidResume, apply_snapshot_limits, clean, normalise, validate


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2020-01-05", "2020-01-05"),
        ("2020-1", "2020-01"),
        ("2023-9-28", "2023-09-28"),
        ("01/2020", "2020-01"),
        ("1/2020", "2020-01"),
        ("Jan 2020", "2020-01"),
        ("January 2020", "2020-01"),
        ("Jan, 2020", "2020-01"),
        ("Sept. 2018", "2018-09"),
        ("März 2019", "2019-03"),
        ("janvier 2021", "2021-01"),
        ("marzo de 2020", "2020-03"),
        ("2020年3月", "2020-03"),
        ("2019", "2019"),
        (2019, "2019"),
        ("2020-02-30", "2020-02"),
        ("2020-01-01T10:00:00Z", "2020-01-01"),
        ("28.03.2020", "2020-03-28"),
    ],
)
def test_dates_are_normalised(given, expected):
    doc, warnings = normalise({"work": [{"name": "A", "startDate": given}]})
    assert doc["work"][0]["startDate"] == expected
    assert warnings == []


@pytest.mark.parametrize(
    "word",
    ["Present", "now", "Current", "heute", "aktuell", "actualidad", "présent", "至今", " NOW "],
)
def test_present_words_remove_the_end_date(word):
    doc, warnings = normalise({"work": [{"name": "A", "startDate": "2020", "endDate": word}]})
    assert "endDate" not in doc["work"][0]
    assert warnings == []


@pytest.mark.parametrize("bad", ["someday", "13/13/13", "2020-13-45x", "9999"])
def test_unparseable_dates_are_dropped_with_a_warning(bad):
    doc, warnings = normalise({"work": [{"name": "A", "startDate": bad}]})
    assert "startDate" not in doc["work"][0]
    assert any("startDate" in w for w in warnings)
    validate(doc)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "  javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "ftp://example.com/x",
    ],
)
def test_dangerous_or_unknown_url_schemes_are_dropped(url):
    doc, warnings = normalise({"basics": {"name": "A", "url": url}, "work": [{"url": url}]})
    assert "url" not in doc["basics"]
    assert "work" not in doc
    assert any("basics.url" in w for w in warnings)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://example.com/a", "https://example.com/a"),
        ("http://example.com", "http://example.com"),
        ("mailto:me@example.com", "mailto:me@example.com"),
        ("www.example.com", "https://www.example.com"),
        ("github.com/someone", "https://github.com/someone"),
        ("HTTPS://Example.com/x y", "https://Example.com/x%20y"),
    ],
)
def test_allowed_urls_are_kept_or_completed(given, expected):
    doc, _ = normalise({"basics": {"url": given}})
    assert doc["basics"]["url"] == expected


def test_legacy_keys_are_mapped():
    doc, _ = normalise(
        {
            "basics": {"name": "A", "website": "a.example.com", "profiles": {"github": "me"}},
            "work": [{"company": "Acme", "website": "acme.example", "startDate": "2020"}],
            "education": [{"institution": "U", "gpa": "3.9"}],
        }
    )
    assert doc["basics"]["url"] == "https://a.example.com"
    assert doc["basics"]["profiles"] == [{"network": "github", "username": "me"}]
    assert doc["work"][0]["name"] == "Acme"
    assert "company" not in doc["work"][0]
    assert doc["education"][0]["score"] == "3.9"
    validate(doc)


def test_v1_key_wins_over_its_legacy_twin():
    doc, _ = normalise({"work": [{"company": "Old", "name": "New"}]})
    assert doc["work"][0]["name"] == "New"


def test_strings_are_trimmed_cleaned_and_capped():
    doc, _ = normalise(
        {
            "basics": {
                "name": "  Ada\x00 \x07Lovelace \n",
                "summary": "one\n\n\n\n\ntwo\x0b" + "x" * 10_000,
                "label": "y" * 1000,
            }
        }
    )
    b = doc["basics"]
    assert b["name"] == "Ada Lovelace"
    assert b["summary"].startswith("one\n\ntwo")
    assert len(b["summary"]) == resume.LONG_TEXT_MAX
    assert len(b["label"]) == resume.SHORT_TEXT_MAX


def test_html_is_kept_as_text():
    doc, _ = normalise({"basics": {"name": "<b>A</b>"}})
    assert doc["basics"]["name"] == "<b>A</b>"


def test_wrong_types_are_coerced_or_dropped():
    doc, warnings = normalise(
        {
            "basics": {
                "name": 42,
                "phone": 123456789,
                "email": "not-an-email",
                "location": "Paris",
            },
            "skills": ["Python", {"name": "Go", "keywords": "a, b ,c"}],
            "work": {"name": "Solo", "highlights": "one\ntwo"},
            "languages": "English",
            "interests": [{"name": "Chess", "keywords": [{"name": "openings"}, 3, None]}],
        }
    )
    assert doc["basics"]["name"] == "42"
    assert doc["basics"]["phone"] == "123456789"
    assert "email" not in doc["basics"]
    assert doc["basics"]["location"] == {"address": "Paris"}
    assert doc["skills"] == [{"name": "Python"}, {"name": "Go", "keywords": ["a", "b", "c"]}]
    assert doc["work"] == [{"name": "Solo", "highlights": ["one", "two"]}]
    assert doc["languages"] == [{"language": "English"}]
    assert doc["interests"][0]["keywords"] == ["openings", "3"]
    assert any("email" in w for w in warnings)
    validate(doc)


def test_empty_values_are_pruned_and_unknown_keys_dropped():
    doc, warnings = normalise(
        {
            "basics": {"name": "", "profiles": [{}], "location": {}, "x": 1},
            "work": [{}, {"name": " "}],
            "meta": {"version": "1"},
            "$schema": "https://example.com",
            "custom": [1],
        }
    )
    assert doc == {}
    assert any("custom" in w for w in warnings)


GARBAGE = [
    None,
    [],
    [1, 2],
    "text",
    42,
    3.5,
    True,
    {"basics": None},
    {"basics": []},
    {"basics": {"name": ["a"], "location": [1], "profiles": "x"}},
    {"basics": {"profiles": [None, 1, "github.com/x", {"url": "javascript:x"}]}},
    {"work": "x"},
    {"work": [None, 1, "x", [], {"name": {"a": 1}, "startDate": [1], "highlights": {"a": 1}}]},
    {"education": [{"courses": 5, "startDate": True, "endDate": 2019.0}]},
    {"skills": [{"keywords": {"a": "b"}}], "projects": [{"roles": [[1]]}]},
    {1: 2, None: 3},
    {"work": [{"name": "\ud800bad surrogate"}]},
]


@pytest.mark.parametrize("doc", GARBAGE)
def test_garbage_never_raises_and_always_validates(doc):
    out, warnings = normalise(doc)
    validate(out)
    assert isinstance(warnings, list)
    json.dumps(out, ensure_ascii=False).encode()


def test_deep_nesting_does_not_raise():
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    out, _ = normalise({"skills": [{"keywords": deep}], "work": deep})
    validate(out)


def test_validate_reports_readable_paths():
    with pytest.raises(InvalidResume) as exc:
        validate({"work": [{"startDate": "soon"}], "basics": {"email": "nope"}, "meta": 1})
    errors = exc.value.errors
    assert any(e.startswith("work[0].startDate:") for e in errors)
    assert any(e.startswith("basics.email:") for e in errors)
    assert any(e.startswith("meta:") for e in errors)


def test_clean_returns_a_valid_document():
    doc, _ = clean({"basics": {"name": "A", "email": "a@example.com"}})
    assert doc == {"basics": {"name": "A", "email": "a@example.com"}}


# --------------------------------------------------------------------------- snapshot limits
def _big_doc(entries: int, text_len: int) -> dict:
    return {
        "basics": {"name": "A", "summary": "s" * 4000},
        "work": [
            {
                "name": f"Company {i}",
                "position": "Engineer",
                "startDate": f"{1900 + i % 120}-{i % 12 + 1:02d}",
                "summary": "w" * text_len,
                "highlights": ["h" * 300] * 5,
            }
            for i in range(entries)
        ],
        "skills": [{"name": f"skill {i}", "keywords": ["k"] * 20} for i in range(150)],
    }


def _size(doc):
    return len(json.dumps(doc, ensure_ascii=False).encode())


def test_small_documents_are_untouched(settings):
    doc = _big_doc(3, 100)
    out, notes = apply_snapshot_limits(doc)
    assert out == doc
    assert notes == []


def test_arrays_cut_to_most_recent_over_warn_size(settings):
    settings.SNAPSHOT_WARN_BYTES = 256 * 1024
    settings.SNAPSHOT_MAX_BYTES = 512 * 1024
    settings.SNAPSHOT_MAX_ITEMS = 100
    doc = _big_doc(340, 400)
    assert 256 * 1024 < _size(doc) < 1024 * 1024
    out, notes = apply_snapshot_limits(doc)
    assert len(out["work"]) == 100
    years = sorted((w["startDate"] for w in doc["work"]), reverse=True)[:100]
    assert sorted(w["startDate"] for w in out["work"]) == sorted(years)
    assert "Your CV had 340 work entries; we kept the 100 most recent." in notes
    assert any("150 skills" in n for n in notes)
    assert _size(out) <= 512 * 1024
    validate(out)


def test_600kb_document_is_cut_below_512kb_with_notes(settings):
    settings.SNAPSHOT_WARN_BYTES = 256 * 1024
    settings.SNAPSHOT_MAX_BYTES = 512 * 1024
    settings.SNAPSHOT_MAX_ITEMS = 100
    doc = _big_doc(100, 4500)  # 100 items: cutting arrays alone does not help
    assert _size(doc) > 600 * 1024
    out, notes = apply_snapshot_limits(doc)
    assert _size(out) <= 512 * 1024
    assert len(out["work"]) == 100
    assert all({"name", "position", "startDate"} <= set(w) for w in out["work"])
    assert any("left out" in n for n in notes)
    validate(out)


def test_limits_are_read_at_call_time_and_always_met(settings):
    settings.SNAPSHOT_WARN_BYTES = 1000
    settings.SNAPSHOT_MAX_BYTES = 2000
    settings.SNAPSHOT_MAX_ITEMS = 5
    out, notes = apply_snapshot_limits(_big_doc(50, 500))
    assert _size(out) <= 2000
    assert notes
    validate(out)


def test_snapshot_limits_do_not_mutate_input(settings):
    settings.SNAPSHOT_WARN_BYTES = 1000
    settings.SNAPSHOT_MAX_BYTES = 2000
    doc = _big_doc(10, 500)
    before = json.dumps(doc)
    apply_snapshot_limits(doc)
    assert json.dumps(doc) == before


def test_documents_are_handed_out_in_the_schemas_key_order():
    from extraction.resume import in_schema_order

    doc = {
        "work": [{"startDate": "2020", "name": "Acme"}],
        "basics": {
            "profiles": [{"url": "https://x.org", "network": "X"}],
            "email": "a@b.org",
            "name": "A",
        },
        "zzz": 1,
    }
    ordered = in_schema_order(doc)
    assert list(ordered) == ["basics", "work", "zzz"]
    assert list(ordered["basics"]) == ["name", "email", "profiles"]
    assert list(ordered["basics"]["profiles"][0]) == ["network", "url"]
    assert list(ordered["work"][0]) == ["name", "startDate"]


def test_the_schema_order_reaches_every_level_and_keeps_every_value():
    from extraction.resume import in_schema_order

    doc = {
        "meta": {"version": "v1", "canonical": "c"},
        "education": [
            {"courses": ["a", {"z": 1, "a": [True, None, 2.5]}], "area": "CS", "institution": "U"}
        ],
        "basics": {"location": {"city": "Oslo", "address": "Street 1"}, "name": "A"},
        "x-b": {"k": [[{"b": 1, "a": 2}]]},
        "x-a": [],
    }
    ordered = in_schema_order(doc)
    assert ordered == doc  # the same values
    assert list(ordered) == ["basics", "education", "meta", "x-a", "x-b"]
    assert list(ordered["basics"]["location"]) == ["address", "city"]
    assert list(ordered["education"][0]) == ["institution", "area", "courses"]
    # Objects the schema does not describe: their keys sorted, at any depth.
    assert list(ordered["education"][0]["courses"][1]) == ["a", "z"]
    assert list(ordered["x-b"]["k"][0][0]) == ["a", "b"]
    assert list(ordered["meta"]) == ["canonical", "version"]
    # A copy: the caller's document is not reordered in place.
    assert list(doc["basics"]) == ["location", "name"]


# Extension fields (schema 1.3.x: every object takes more keys) are the
# person's data: kept when the document is theirs, dropped from an extractor's.
MINE = {
    "$schema": "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json",
    "meta": {"canonical": "https://example.com/resume.json", "version": "v1.0.0", "x-tool": 1},
    "basics": {
        "name": "Jane",
        "x-pronouns": "she/her",
        "location": {"city": "Lyon", "x-district": "3e"},
        "profiles": [{"network": "GitHub", "url": "https://github.com/j", "x-main": True}],
    },
    "work": [{"name": "Acme", "x-team": {"size": 4, "tags": ["a", "b"]}, "x-none": None}],
    "hobbies": [{"name": "chess"}],
    "interests": [{"name": "go"}],
    "x-custom": [{"anything": ["goes", 1, 2.5, False]}],
}


def test_keep_unknown_keeps_extension_fields_meta_and_schema_as_sent():
    out, warnings = normalise(MINE, keep_unknown=True)
    assert out == MINE  # a v0 section beside its v1 twin stays as it is
    assert warnings == []
    validate(out)


def test_without_keep_unknown_an_extractors_extra_keys_are_dropped():
    out, _ = normalise(MINE)
    assert "x-custom" not in out and "meta" not in out and "$schema" not in out
    assert out["basics"] == {
        "name": "Jane",
        "location": {"city": "Lyon"},
        "profiles": [{"network": "GitHub", "url": "https://github.com/j"}],
    }
    assert out["work"] == [{"name": "Acme"}]


def test_kept_unknown_values_lose_control_characters_and_deep_nesting():
    deep: object = "x"
    for _ in range(50):
        deep = [deep]
    out, warnings = normalise(
        {"basics": {"name": "J", "x-a": "a\x00b\x07c\nd", "x-deep": deep}}, keep_unknown=True
    )
    assert out["basics"]["x-a"] == "abc\nd"
    assert "x-deep" in out["basics"] and any("nested too deeply" in w for w in warnings)
    validate(out)
