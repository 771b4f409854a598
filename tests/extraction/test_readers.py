"""extraction.readers: type by bytes, cheap checks, safe text extraction."""

from __future__ import annotations

import json
import os
import resource
import signal
import time
from pathlib import Path

import pytest

from extraction import readers
from extraction.errors import BadFile
from extraction.isolation import IsolatedMemoryError
from extraction.readers import (
    ALLOWED_EXTENSIONS,
    KINDS,
    Probe,
    ReadResult,
    display_name,
    probe,
    read_document,
    sniff,
)
from tests.conftest import SAMPLES, each_sample, sample_files

from . import badfiles

SAMPLE_FILES = sample_files("dev-*-*.*", (".pdf", ".docx", ".txt"))


@pytest.fixture
def write(tmp_path):
    """write(data) -> path of a fresh file holding `data` (upload names are separate)."""
    counter = iter(range(1_000_000))

    def _write(data: bytes) -> Path:
        path = tmp_path / f"upload-{next(counter)}"
        path.write_bytes(data)
        return path

    return _write


@pytest.fixture(params=["on disk", "in memory"])
def sniffed(request, write):
    """sniffed(data) -> what sniff reads: a file holding `data`, or the bytes
    themselves (an upload the upload handler kept in memory)."""
    return write if request.param == "on disk" else bytes


def bad(func, *args) -> BadFile:
    with pytest.raises(BadFile) as caught:
        func(*args)
    return caught.value


# ------------------------------------------------------------------ public API


def test_the_public_constants_are_as_documented():
    assert KINDS == ("pdf", "docx", "txt", "json")
    assert ALLOWED_EXTENSIONS == {
        ".pdf": "pdf",
        ".docx": "docx",
        ".txt": "txt",
        ".text": "txt",
        ".md": "txt",
        ".json": "json",
    }


# ------------------------------------------------------------------ sniff


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (badfiles.pdf_with_text(), "cv.pdf", "pdf"),
        (badfiles.pdf_with_text(), "CV.PDF", "pdf"),
        (badfiles.docx_with_paragraphs(), "cv.docx", "docx"),
        (badfiles.txt_utf8(), "cv.txt", "txt"),
        (badfiles.txt_utf8(), "notes.md", "txt"),
        (badfiles.txt_latin1(), "cv.text", "txt"),
        (badfiles.txt_utf16_bom(), "cv.txt", "txt"),
        (badfiles.txt_utf8(bom=True), "cv.txt", "txt"),
    ],
)
def test_it_recognises_supported_files_by_their_bytes(sniffed, data, name, kind):
    assert sniff(sniffed(data), name) == kind


@pytest.mark.parametrize("name", ["", "cv", "cv.bin", "resume.pdf.download"])
def test_without_a_known_extension_it_decides_by_the_bytes_alone(sniffed, name):
    assert sniff(sniffed(badfiles.pdf_with_text()), name) == "pdf"
    assert sniff(sniffed(badfiles.docx_with_paragraphs()), name) == "docx"
    assert sniff(sniffed(badfiles.txt_utf8()), name) == "txt"


def test_it_accepts_up_to_1_kb_of_junk_before_the_pdf_magic(sniffed):
    assert sniff(sniffed(b"\x00" * 1000 + badfiles.pdf_with_text()), "cv.pdf") == "pdf"
    error = bad(sniff, sniffed(b"\x00" * 2000 + badfiles.pdf_with_text()), "cv.pdf")
    assert error.code == "unsupported_type"


def test_it_refuses_an_empty_file(sniffed):
    error = bad(sniff, sniffed(b""), "cv.pdf")
    assert (error.code, error.status) == ("empty_file", 400)


def test_it_refuses_a_file_over_the_upload_limit_with_413(sniffed, settings):
    settings.MAX_UPLOAD_BYTES = 500
    error = bad(sniff, sniffed(badfiles.pdf_with_text()), "cv.pdf")
    assert (error.code, error.status) == ("file_too_large", 413)


def test_a_png_named_pdf_is_refused_as_an_image_not_a_pdf(sniffed):
    error = bad(sniff, sniffed(badfiles.png_bytes()), "cv.pdf")
    assert (error.code, error.status) == ("unsupported_type", 415)
    assert "image" in error.message
    assert "not a PDF" in error.message


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (badfiles.jpeg_bytes(), "photo.jpg", "JPEG image"),
        (badfiles.gif_bytes(), "cv.pdf", "GIF image"),
        (badfiles.elf_bytes(), "cv.pdf", "program"),
        (badfiles.binary_junk(), "cv.bin", "unknown type"),
        (badfiles.binary_junk(), "cv.txt", "unknown type"),
        (badfiles.xlsx_like_zip(), "cv.docx", "Excel"),
        (badfiles.xlsx_like_zip(), "cv.zip", "Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "cv.docx", "old-format"),
        (b"{\\rtf1\\ansi Jane}", "cv.rtf", "RTF"),
    ],
)
def test_it_refuses_unsupported_types_with_415_and_says_what_they_are(sniffed, data, name, says):
    error = bad(sniff, sniffed(data), name)
    assert (error.code, error.status) == ("unsupported_type", 415)
    assert says in error.message


@pytest.mark.parametrize(
    ("data", "name", "real"),
    [
        (badfiles.pdf_with_text(), "cv.docx", "PDF"),
        (badfiles.pdf_with_text(), "cv.txt", "PDF"),
        (badfiles.docx_with_paragraphs(), "cv.pdf", "Word"),
        (badfiles.txt_utf8(), "cv.pdf", "text file"),
        (badfiles.txt_utf8(), "cv.docx", "text file"),
    ],
)
def test_it_refuses_a_supported_type_named_as_another(sniffed, data, name, real):
    error = bad(sniff, sniffed(data), name)
    assert (error.code, error.status) == ("type_mismatch", 415)
    assert real in error.message


@pytest.mark.parametrize("data", [badfiles.docx_not_a_zip(), badfiles.docx_truncated()])
def test_a_docx_that_is_not_a_readable_zip_is_invalid_docx(sniffed, data):
    error = bad(sniff, sniffed(data), "cv.docx")
    assert (error.code, error.status) == ("invalid_docx", 400)
    assert "damaged" in error.message


def test_a_damaged_zip_without_a_docx_name_is_an_unsupported_type(sniffed):
    error = bad(sniff, sniffed(badfiles.docx_truncated()), "archive.zip")
    assert error.code == "unsupported_type"


# ------------------------------------------------------------------ probe


def test_probe_counts_the_pages_of_a_pdf(write):
    path = write(badfiles.pdf_with_pages([["Jane"], ["page two"], ["page three"]]))
    assert probe(path, "pdf") == Probe(kind="pdf", pages=3)


def test_probe_accepts_a_docx_and_a_txt(write):
    assert probe(write(badfiles.docx_with_paragraphs()), "docx") == Probe("docx", None)
    assert probe(write(badfiles.txt_latin1()), "txt") == Probe("txt", None)


def test_it_refuses_a_pdf_over_the_page_limit_and_says_the_limit(write):
    error = bad(probe, write(badfiles.pdf_many_pages(300)), "pdf")
    assert (error.code, error.status) == ("too_many_pages", 400)
    assert "20" in error.message and "300" in error.message


def test_the_page_limit_comes_from_settings_at_call_time(write, settings):
    settings.EXTRACTION_MAX_PAGES = 2
    error = bad(probe, write(badfiles.pdf_many_pages(3)), "pdf")
    assert error.code == "too_many_pages"
    assert "at most 2 pages" in error.message


def test_it_refuses_an_encrypted_pdf(write):
    error = bad(probe, write(badfiles.pdf_encrypted()), "pdf")
    assert (error.code, error.status) == ("encrypted_pdf", 400)


def test_a_pdf_with_only_an_owner_password_is_read(write):
    path = write(badfiles.pdf_encrypted_no_user_password())
    assert probe(path, "pdf").pages == 1
    assert "jane@example.com" in read_document(path, "pdf").text


def test_it_refuses_an_image_only_pdf_saying_scans_are_not_supported_yet(write):
    error = bad(probe, write(badfiles.pdf_image_only()), "pdf")
    assert (error.code, error.status) == ("no_text_layer", 400)
    assert "Scanned CVs are not supported yet" in error.message


def test_it_refuses_an_unreadable_pdf(write):
    error = bad(probe, write(badfiles.pdf_truncated()), "pdf")
    assert (error.code, error.status) == ("invalid_pdf", 400)


def test_it_refuses_a_docx_zip_bomb(write):
    error = bad(probe, write(badfiles.docx_zip_bomb(60)), "docx")
    assert (error.code, error.status) == ("docx_too_large", 400)
    assert "50.0 MB" in error.message


def test_it_refuses_a_docx_member_with_an_absurd_compression_ratio(write):
    error = bad(probe, write(badfiles.docx_zip_bomb(20)), "docx")  # under 50 MiB in total
    assert error.code == "docx_too_large"
    assert "compressed suspiciously well" in error.message


def test_the_docx_size_limit_comes_from_settings(write, settings):
    settings.EXTRACTION_MAX_DOCX_UNCOMPRESSED = 100
    assert bad(probe, write(badfiles.docx_with_paragraphs()), "docx").code == "docx_too_large"


def test_probe_refuses_a_corrupt_docx(write):
    assert bad(probe, write(badfiles.docx_truncated()), "docx").code == "invalid_docx"


def test_an_unknown_kind_is_a_programming_error(write):
    with pytest.raises(ValueError):
        probe(write(b"x"), "rtf")
    with pytest.raises(ValueError):
        read_document(write(b"x"), "png")


# ------------------------------------------------------------------ read_document: good files


def test_it_reads_a_pdf_one_line_per_visual_line(write):
    result = read_document(write(badfiles.pdf_with_text()), "pdf")
    assert isinstance(result, ReadResult)
    assert result.text.splitlines() == list(badfiles.DEFAULT_LINES)
    assert (result.kind, result.pages, result.warnings, result.truncated) == ("pdf", 1, [], False)


def test_it_reads_every_page_of_a_pdf_in_order(write):
    path = write(badfiles.pdf_with_pages([["Jane Example"], [" "], ["Müller, Zürich"]]))
    result = read_document(path, "pdf")
    assert result.text == "Jane Example\n\nMüller, Zürich"
    assert result.pages == 3
    assert result.warnings == [
        "Some pages have no text (they may be scanned images) and were skipped: 2."
    ]


def test_pdf_text_comes_in_reading_order_not_painting_order(write):
    data = badfiles.pdf_with_positioned_text(
        [
            (72, 600, "Developed the payment service."),
            (72, 586, "Led a team of four."),
            (72, 640, "Senior Developer, Example GmbH"),
            (300, 640, "2019 - 2024"),
            (72, 760, "Jane Example"),
            (72, 746, "jane@example.com"),
        ]
    )
    assert read_document(write(data), "pdf").text.splitlines() == [
        "Jane Example",
        "jane@example.com",
        "Senior Developer, Example GmbH  2019 - 2024",  # runs far apart: two spaces
        "Developed the payment service.",
        "Led a team of four.",
    ]


def test_a_two_column_pdf_reads_column_by_column(write):
    data = badfiles.pdf_with_positioned_text(
        [
            (300, 700, "Experience"),
            (300, 686, "Developer at Example GmbH"),
            (300, 672, "2019 - 2024"),
            (72, 700, "Skills"),  # the side column is painted last
            (72, 686, "Python"),
            (72, 672, "Django"),
        ]
    )
    assert read_document(write(data), "pdf").text.splitlines() == [
        "Skills",
        "Python",
        "Django",
        "Experience",
        "Developer at Example GmbH",
        "2019 - 2024",
    ]


def test_runs_placed_side_by_side_without_a_space_are_not_glued(write):
    data = badfiles.pdf_with_positioned_text(
        [(72, 700, "Jul 2025 - Current"), (180, 700, "Senior Engineer"), (72, 686, "Example")]
    )
    assert read_document(write(data), "pdf").text.splitlines() == [
        "Jul 2025 - Current  Senior Engineer",
        "Example",
    ]


def test_runs_of_one_row_far_apart_are_kept_apart_by_two_spaces(write):
    # side-by-side "pills": a gap of several spaces' width between runs
    data = badfiles.pdf_with_positioned_text(
        [(72, 700, "Threat Modeling"), (170, 700, "Docker"), (220, 700, "Kubernetes")]
    )
    assert read_document(write(data), "pdf").text.splitlines() == [
        "Threat Modeling  Docker  Kubernetes"
    ]


def test_runs_of_one_row_a_word_space_apart_keep_one_space(write):
    # "Jane" is 23.8 pt wide in Helvetica 11: "Example" starts 3.5 pt after it
    data = badfiles.pdf_with_positioned_text([(72, 700, "Jane"), (99.3, 700, "Example")])
    assert read_document(write(data), "pdf").text.splitlines() == ["Jane Example"]


def test_a_wide_gap_inside_one_text_run_is_two_spaces_and_word_spaces_stay_single(write):
    data = badfiles.pdf_with_content(
        b"BT /F1 11 Tf 1 0 0 1 72 700 Tm [(SDLC) -1500 (Threat Modeling) -1500 (ASVS)] TJ "
        b"1 0 0 1 72 680 Tm (Social Engineering and more) Tj ET"
    )
    assert read_document(write(data), "pdf").text.splitlines() == [
        "SDLC  Threat Modeling  ASVS",
        "Social Engineering and more",
    ]


def test_a_hyphen_at_the_end_of_a_line_is_kept(write):
    data = badfiles.pdf_with_text(["Konzeption einer Test-", "Automatisierung", "Jane"])
    assert read_document(write(data), "pdf").text.splitlines() == [
        "Konzeption einer Test-",
        "Automatisierung",
        "Jane",
    ]


def test_a_page_with_rotated_text_keeps_pdfiums_order(write):
    data = badfiles.pdf_with_content(
        b"BT /F1 11 Tf 1 0 0 1 72 700 Tm (Jane Example) Tj "
        b"0 1 -1 0 500 300 Tm (Sidebar label) Tj ET"
    )
    assert read_document(write(data), "pdf").text.splitlines() == ["Jane Example", "Sidebar label"]


def test_reading_order_keeps_a_block_in_stream_order_and_puts_side_by_side_blocks_left_first():
    lines = [
        ("Python, Django", 200, 700, 10),  # content beside its label, 2 pt higher
        ("PostgreSQL", 200, 688, 10),
        ("SKILLS", 50, 698, 10),  # the label column is painted last
    ]
    assert readers.order_lines_by_position(lines) == ["SKILLS", "Python, Django", "PostgreSQL"]


def test_a_date_floated_right_of_a_title_and_painted_after_its_bullets_follows_the_title():
    lines = [
        ("Acme, Senior Engineer", 100, 700, 10, 220),
        ("Built the billing service", 110, 686, 10, 300),
        ("Led a team of four", 110, 672, 10, 280),
        ("2014-03 — 2015-11", 420, 700, 10, 500),  # painted last, on the title's row
        ("Widgetry, Engineer", 100, 650, 10, 200),
        ("Wrote the widgets", 110, 636, 10, 260),
        ("2013-11 — 2014-03", 420, 650, 10, 500),
    ]
    assert readers.order_lines_by_position(lines) == [
        "Acme, Senior Engineer",
        "2014-03 — 2015-11",
        "Built the billing service",
        "Led a team of four",
        "Widgetry, Engineer",
        "2013-11 — 2014-03",
        "Wrote the widgets",
    ]


def test_a_title_wrapped_over_two_rows_stays_whole_before_the_date_beside_it():
    lines = [
        ("Senior Site Reliability & DevOps", 100, 700, 10, 300),
        ("Engineer", 100, 688, 10, 150),
        ("https://acme.example", 100, 676, 10, 200),  # the entry's link: not the title
        ("Ran the platform team", 110, 662, 10, 300),
        ("2022-09 — 2024-09", 420, 700, 10, 500),
    ]
    assert readers.order_lines_by_position(lines) == [
        "Senior Site Reliability & DevOps",
        "Engineer",
        "2022-09 — 2024-09",
        "https://acme.example",
        "Ran the platform team",
    ]


def test_a_label_column_beside_an_entry_is_still_read_first():
    lines = [
        ("Acme, Senior Engineer", 200, 700, 10, 320),
        ("Built the billing service", 210, 686, 10, 400),
        ("EXPERIENCE", 50, 700, 10, 120),  # two blocks on one row: left first
    ]
    assert readers.order_lines_by_position(lines) == [
        "EXPERIENCE",
        "Acme, Senior Engineer",
        "Built the billing service",
    ]


def _column(texts, x, top, pitch=14, width=120, height=10):
    return [(t, x, top - i * pitch, height, x + width) for i, t in enumerate(texts)]


SIDEBAR = ["CONTACT", "jane@example.com", "+1 555 0100", "", "SKILLS", "Python", "SQL", "Go"]
MAIN = [
    "EXPERIENCE",
    "Engineer, Acme",
    "2019 - 2024",
    "Built things",
    "",
    "EDUCATION",
    "BSc, Uni",
    "2015 - 2019",
]


def _page(sidebar_first: bool):
    # The sidebar's lines on a pitch of 13, the main column's on 17: rows that do not meet.
    side = [line for line in _column(SIDEBAR, 40, 700, pitch=13) if line[0]]
    main = [line for line in _column(MAIN, 220, 706, pitch=17, width=300) if line[0]]
    header = [("Jane Example", 40, 760, 18, 300)]
    return header + (side + main if sidebar_first else main + side)


@pytest.mark.parametrize("sidebar_first", [True, False])
def test_two_independent_columns_are_read_one_after_the_other(sidebar_first):
    ordered = readers.order_lines_by_position(_page(sidebar_first))
    side = [t for t in SIDEBAR if t]
    main = [t for t in MAIN if t]
    assert ordered == ["Jane Example", *side, *main]


def test_a_date_column_painted_entry_by_entry_stays_beside_its_entries():
    lines = []
    for i in range(8):
        top = 700 - i * 60
        lines.append((f"20{10 + i} - 20{11 + i}", 40, top, 10, 120))
        lines += _column([f"Title {i}", f"Employer {i}", f"Did thing {i}"], 200, top, width=300)
    ordered = readers.order_lines_by_position(lines)
    assert ordered[:4] == ["2010 - 2011", "Title 0", "Employer 0", "Did thing 0"]
    assert ordered[-4:] == ["2017 - 2018", "Title 7", "Employer 7", "Did thing 7"]


def test_a_label_column_painted_last_stays_beside_its_sections():
    labels, content = [], []
    for i in range(7):
        top = 700 - i * 70
        labels.append((f"LABEL {i}", 40, top, 10, 100))
        content += _column([f"Line {i}a", f"Line {i}b", f"Line {i}c"], 200, top, width=300)
    ordered = readers.order_lines_by_position(content + labels)
    assert ordered[:4] == ["LABEL 0", "Line 0a", "Line 0b", "Line 0c"]
    assert ordered[4] == "LABEL 1"


def test_a_pdf_whose_fonts_show_no_text_has_no_text_layer(write):
    error = bad(read_document, write(badfiles.pdf_with_text([" "])), "pdf")
    assert error.code == "no_text_layer"


def test_it_reads_docx_paragraphs_tables_and_headers_in_document_order(write):
    data = badfiles.docx_with_paragraphs(
        ["Jane Example", "Experience"],
        table=[["2019 - 2024", "Example GmbH"], ["2015", "First line\nsecond"]],
        after_table=["Skills"],
        header="jane@example.com",
    )
    result = read_document(write(data), "docx")
    assert result.text.splitlines() == [
        "jane@example.com",
        "",
        "Jane Example",
        "Experience",
        "2019 - 2024\tExample GmbH",
        "2015",
        "First line",
        "second",
        "Skills",
    ]
    assert (result.kind, result.pages) == ("docx", None)


def test_it_does_not_resolve_an_external_entity_in_a_docx(write, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT root:x:0:0")
    path = write(badfiles.docx_with_external_entity(secret.as_uri()))
    text = read_document(path, "docx").text
    assert "TOP-SECRET" not in text and "root:" not in text
    assert "Jane Example" in text


def test_it_does_not_read_etc_passwd_through_a_docx(write):
    text = read_document(write(badfiles.docx_with_external_entity()), "docx").text
    assert "root:" not in text
    assert "/bin/" not in text


def test_it_refuses_a_docx_billion_laughs_quickly(write):
    started = time.monotonic()
    error = bad(read_document, write(badfiles.docx_billion_laughs()), "docx")
    assert error.code == "file_too_complex"
    assert time.monotonic() - started < 2


def test_it_reads_latin1_text_and_normalises_newlines(write):
    result = read_document(write(badfiles.txt_latin1()), "txt")
    assert "Hans Müller\nZürich, Schweiz\nhans.mueller@example.ch" in result.text
    assert "\r" not in result.text
    assert (result.kind, result.pages) == ("txt", None)


def test_it_reads_windows_1252_typographic_quotes(write):
    text = read_document(write("“Jane” – €5".encode("cp1252")), "txt").text
    assert text == "“Jane” – €5"


def test_it_reads_utf16_with_bom_and_utf8_with_bom(write):
    assert read_document(write(badfiles.txt_utf16_bom()), "txt").text == (
        "Jane Émile Example\njane@example.com"
    )
    assert read_document(write(badfiles.txt_utf8(bom=True)), "txt").text.startswith("Jane")


def test_whitespace_only_documents_are_empty(write):
    assert bad(read_document, write(b"  \r\n\t\n"), "txt").code == "empty_document"
    path = write(badfiles.docx_with_paragraphs(["", "   "]))
    assert bad(read_document, path, "docx").code == "empty_document"


def test_long_text_is_cut_at_the_limit_with_a_warning(write, settings):
    settings.EXTRACTION_MAX_TEXT_CHARS = 1000
    lines = [f"Line {n} of a very long curriculum vitae" for n in range(200)]
    for data, kind in (
        ("\n".join(lines).encode(), "txt"),
        (badfiles.docx_with_paragraphs(lines), "docx"),
        (badfiles.pdf_with_text(lines[:60]), "pdf"),
    ):
        result = read_document(write(data), kind)
        assert result.truncated is True
        assert 900 <= len(result.text) <= 1000
        assert result.text.startswith("Line 0 of")
        assert result.warnings[-1] == (
            "This document is very long: only its first 1,000 characters were read."
        )


def test_read_document_repeats_the_structural_checks(write):
    assert bad(read_document, write(badfiles.pdf_many_pages(300)), "pdf").code == ("too_many_pages")
    assert bad(read_document, write(badfiles.docx_zip_bomb()), "docx").code == "docx_too_large"
    assert bad(read_document, write(badfiles.pdf_encrypted()), "pdf").code == "encrypted_pdf"
    assert bad(read_document, write(badfiles.pdf_image_only()), "pdf").code == "no_text_layer"


# ------------------------------------------------------------------ read_document: hostile files


def test_it_refuses_a_pdf_decompression_bomb_without_growing_the_parent(write, settings):
    settings.EXTRACTION_PARSE_MEMORY_MB = 1024  # pdfium would inflate 400 MB within this
    path = write(badfiles.pdf_decompression_bomb(400))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    for step in (probe, read_document):
        started = time.monotonic()
        error = bad(step, path, "pdf")
        assert (error.code, error.status) == ("file_too_complex", 400)
        # EXTRACTION_PDF_MEMORY_MB stopped it: pdfium aborted on a failed allocation.
        assert isinstance(error, IsolatedMemoryError)
        assert error.memory_mb == settings.EXTRACTION_PDF_MEMORY_MB
        # Well before the time limit (a loaded machine once took 4 s: no tighter bound).
        assert time.monotonic() - started < settings.EXTRACTION_PARSE_TIMEOUT_S / 2
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert after - before < 50 * 1024


def test_a_lower_memory_setting_applies_to_pdfs_too(write, settings):
    settings.EXTRACTION_PARSE_MEMORY_MB = 30
    error = bad(read_document, write(badfiles.pdf_decompression_bomb(400)), "pdf")
    assert isinstance(error, IsolatedMemoryError)
    assert (error.code, error.memory_mb) == ("file_too_complex", 30)


def test_a_pdf_reader_that_aborts_ran_out_of_memory(write, monkeypatch):
    # pdfium's answer to a failed allocation is abort(); its other fatal checks trap.
    def out_of_memory(textpage):
        os.abort()

    monkeypatch.setattr(readers.pdf, "pdf_page_text", out_of_memory)
    error = bad(read_document, write(badfiles.pdf_with_text()), "pdf")
    assert isinstance(error, IsolatedMemoryError)
    assert (error.code, error.status) == ("file_too_complex", 400)


def test_a_pdf_that_keeps_the_parser_busy_is_stopped_by_the_time_limit(write, settings):
    settings.EXTRACTION_PARSE_TIMEOUT_S = 1.0
    path = write(badfiles.pdf_slow_to_parse())
    # The upload check stops at page 1, which has text; page 2 is the slow one.
    started = time.monotonic()
    assert probe(path, "pdf") == Probe(kind="pdf", pages=2)
    assert time.monotonic() - started < 0.5
    started = time.monotonic()
    error = bad(read_document, path, "pdf")
    assert time.monotonic() - started < 3
    assert error.code == "parse_timeout"
    assert error.message.startswith("We could not read this file in time")
    # 400 (the file's fault) unless the machine was too busy to give the child
    # half a second of CPU, then 503: see test_isolation.
    assert error.status in (400, 503)


def test_the_slow_pdf_is_slow_for_the_real_reader_and_not_for_lack_of_memory(write):
    # A tenth of the invocations, read for real: the parse takes its time (about
    # 20 ms per invocation) and stays well inside the PDF memory limit.
    path = write(badfiles.pdf_slow_to_parse(invocations=50))
    started = time.monotonic()
    result = read_document(path, "pdf")
    assert time.monotonic() - started > 0.3
    assert result.text.splitlines() == list(badfiles.DEFAULT_LINES)
    assert result.warnings == [
        "Some pages have no text (they may be scanned images) and were skipped: 2."
    ]


def test_a_crashing_parser_gives_a_readable_invalid_pdf(write, monkeypatch):
    def crash(page):
        os.kill(os.getpid(), signal.SIGSEGV)

    monkeypatch.setattr(readers.pdf, "pdf_page_text", crash)
    error = bad(read_document, write(badfiles.pdf_with_text()), "pdf")
    assert (error.code, error.status) == ("invalid_pdf", 400)
    assert "Traceback" not in error.message


def test_an_unexpected_parser_exception_skips_the_page_or_fails_readably(write, monkeypatch):
    def broken(page):
        raise KeyError("/Contents")

    monkeypatch.setattr(readers.pdf, "pdf_page_text", broken)
    error = bad(read_document, write(badfiles.pdf_with_text()), "pdf")
    assert error.code == "invalid_pdf"
    assert "KeyError" not in error.message


def test_the_web_process_never_imports_a_parser_for_sniffing(write):
    # sniff only looks at bytes: it works on a hostile PDF without parsing it.
    assert sniff(write(badfiles.pdf_decompression_bomb()), "cv.pdf") == "pdf"
    assert sniff(write(badfiles.pdf_slow_to_parse()), "cv.pdf") == "pdf"


# ------------------------------------------------------------------ display_name


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (badfiles.traversal_file_name(), "passwd.pdf"),
        ("C:\\Users\\jane\\Desktop\\CV 2024.pdf", "CV 2024.pdf"),
        ("cv\u202efdp.exe", "cvfdp.exe"),  # right-to-left override removed
        ("  my   cv.docx  ", "my cv.docx"),
        ("..", "document"),
        ("", "document"),
        ("résumé.pdf", "résumé.pdf"),
    ],
)
def test_display_name_is_a_safe_basename(name, shown):
    assert display_name(name) == shown


def test_display_name_is_length_capped_and_keeps_the_extension():
    shown = display_name("a" * 500 + ".docx")
    assert len(shown) <= readers.DISPLAY_NAME_MAX
    assert shown.endswith(".docx")


def test_a_traversal_name_is_judged_by_its_extension_only(write):
    assert sniff(write(badfiles.pdf_with_text()), badfiles.traversal_file_name()) == "pdf"


# ------------------------------------------------------------------ real samples


def _ground_truth(sample: Path) -> tuple[str, str]:
    person = sample.name[: len("dev-NN")]
    data = json.loads((SAMPLES / f"{person}.json").read_text(encoding="utf-8-sig"))
    basics = data.get("basics") or {}
    return basics.get("name") or "", basics.get("email") or ""


@pytest.mark.parametrize("sample", each_sample(SAMPLE_FILES))
def test_every_real_sample_reads_with_the_persons_name_and_email(sample):
    kind = sniff(sample, sample.name)
    assert kind == ALLOWED_EXTENSIONS[sample.suffix]
    probed = probe(sample, kind)
    result = read_document(sample, kind)
    assert result.text.strip()
    assert result.pages == probed.pages
    name, email = _ground_truth(sample)
    flat = " ".join(result.text.split())
    assert (name and " ".join(name.split()) in flat) or (email and email in result.text)
    if email:
        assert email in result.text


# ------------------------------------------------------------------ links
def _pdf_with_links(lines, links, pages=1):
    """A PDF of `pages` pages showing `lines` on each; `links` = (page index,
    (x1, y1, x2, y2), address) link annotations."""
    resources = b"<< /Font << /F1 %d 0 R >> >>"
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    first_annot = 3 + 2 * pages
    font_number = first_annot + len(links)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(pages)), pages),
    ]
    for page in range(pages):
        annots = b" ".join(
            b"%d 0 R" % (first_annot + n) for n, link in enumerate(links) if link[0] == page
        )
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources %s "
            b"/Contents %d 0 R /Annots [%s] >>" % (resources % font_number, 4 + 2 * page, annots)
        )
        objects.append(badfiles._stream(badfiles._text_content(lines)))
    for _, rect, uri in links:
        objects.append(
            b"<< /Type /Annot /Subtype /Link /Rect [%d %d %d %d] /Border [0 0 0] "
            b"/A << /S /URI /URI %s >> >>" % (*rect, badfiles._pdf_string(uri))
        )
    objects.append(font)
    return badfiles.build_pdf(objects)


def test_links_block_keeps_only_profile_like_links_not_printed():
    text = "Jane Quill\njquill\nWidgetry\nhttps://printed.example/page\n"
    links = [
        (0, "https://github.com/jquill", "jquill"),  # a user name: its own address end
        (0, "https://www.linkedin.com/in/jane-quill-1/", "Jane Quill"),  # a known network
        (0, "https://quill.example/", ""),  # an icon
        (0, "https://quill.example/CV.pdf", "CV.pdf"),  # a file name
        (0, "https://widgetry.example/", "Widgetry"),  # an employer's site
        (0, "https://printed.example/page", "https://printed.example/page"),  # printed
        (0, "mailto:jane@example.org", "jane@example.org"),
        (0, "file:///tmp/out/site.example", "site.example"),
        (0, "https://gitlab.com/group/project", "project"),  # a project
        (1, "https://gitlab.com/jquill", ""),  # not on the first page
    ]
    assert readers.links_block(links, text) == (
        "\n\nLinks\nhttps://github.com/jquill\nhttps://www.linkedin.com/in/jane-quill-1/\n"
        "https://quill.example/\nhttps://quill.example/CV.pdf"
    )
    assert readers.links_block([], text) == ""


def test_links_block_knows_an_address_wrapped_over_two_lines_is_printed():
    text = "https://github.com/jane-\nquill\n"
    assert readers.links_block([(0, "https://github.com/jane-quill", "")], text) == ""


def test_a_pdf_profile_shown_as_an_icon_or_a_user_name_gets_its_address(write):
    data = _pdf_with_links(
        ["Jane Quill", "jquill", "Widgetry"],
        [
            (0, (300, 700, 320, 720), "https://github.com/jquill"),  # an icon: no text
            (0, (70, 740, 120, 752), "https://gitlab.com/jquill"),  # over "jquill"
            (0, (70, 725, 130, 738), "https://widgetry.example/"),  # over "Widgetry"
            (1, (300, 700, 320, 720), "https://codepen.io/jquill"),  # an icon, page 2
        ],
        pages=2,
    )
    text = read_document(write(data), "pdf").text
    assert text.endswith("Links\nhttps://github.com/jquill\nhttps://gitlab.com/jquill")


def test_a_docx_hyperlink_to_a_profile_gets_its_address(write):
    body = (
        badfiles._w_paragraph("Jane Quill")
        + '<w:p><w:hyperlink r:id="rIdL1"><w:r><w:t>jquill</w:t></w:r></w:hyperlink></w:p>'
        + '<w:p><w:hyperlink r:id="rIdL2"><w:r><w:t>Widgetry</w:t></w:r></w:hyperlink></w:p>'
        + '<w:p><w:hyperlink r:id="rIdL3"><w:r><w:t>x</w:t></w:r></w:hyperlink></w:p>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rIdL1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/hyperlink" Target="https://github.com/jquill" TargetMode="External"/>'
        '<Relationship Id="rIdL2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/hyperlink" Target="https://widgetry.example/" TargetMode="External"/>'
        '<Relationship Id="rIdL3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/hyperlink" Target="javascript:alert(1)" TargetMode="External"/>'
        "</Relationships>"
    )
    data = badfiles._docx_zip(
        badfiles._document_xml(body), {"word/_rels/document.xml.rels": rels.encode()}
    )
    text = read_document(write(data), "docx").text
    assert text == "Jane Quill\njquill\nWidgetry\nx\n\nLinks\nhttps://github.com/jquill"
