"""Generators of good and bad upload files, for reader-level and HTTP-level tests.

Every generator returns the file's bytes (`traversal_file_name` returns a
name); nothing is read from disk or the network, and the results are small
(a few KB, at most ~300 KB) even where they describe huge content.
Generators that take a moment are cached, so calling them again is free.

Good files (`sniff`/`probe`/`read_document` accept them):

    pdf_with_text, pdf_with_pages, pdf_with_positioned_text, pdf_with_content,
    docx_with_paragraphs, txt_utf8, txt_latin1, txt_utf16_bom,
    pdf_encrypted_no_user_password

Bad files and the code `extraction.readers` gives for them:

    ========================== =================================== ==========
    generator                   code                                 raised by
    ========================== =================================== ==========
    png_bytes (named .pdf)      unsupported_type (415, "image")     sniff
    jpeg_bytes, gif_bytes       unsupported_type (415)              sniff
    elf_bytes, binary_junk      unsupported_type (415)              sniff
    xlsx_like_zip               unsupported_type (415)              sniff
    docx_not_a_zip (.docx)      invalid_docx (400)                  sniff
    docx_truncated (.docx)      invalid_docx (400)                  sniff
    pdf_with_text named .docx   type_mismatch (415)                 sniff
    docx_zip_bomb               docx_too_large (400)                probe
    docx_with_external_entity   reads, without the entity's content read_document
    docx_billion_laughs         file_too_complex (400)              read_document
    pdf_encrypted               encrypted_pdf (400)                 probe
    pdf_many_pages(300)         too_many_pages (400)                probe
    pdf_image_only              no_text_layer (400)                 probe
    pdf_decompression_bomb      file_too_complex (400)              probe, read_document
    pdf_slow_to_parse           parse_timeout (400)                 read_document
    pdf_truncated               invalid_pdf (400)                   probe
    ========================== =================================== ==========
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from collections.abc import Sequence

DEFAULT_LINES = (
    "Jane Example",
    "Software Engineer",
    "jane@example.com",
    "Experience",
    "2019 - 2024 Developer at Example GmbH",
)

# --------------------------------------------------------------------------- PDF


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi (latin-1) encoding, with escapes."""
    raw = text.encode("latin-1", errors="replace")
    raw = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + raw + b")"


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def build_pdf(objects: Sequence[bytes]) -> bytes:
    """Assemble a PDF with a correct xref table.

    `objects[i]` is the body of object number i + 1; object 1 must be the
    document catalog. Use it to write special-purpose PDFs by hand.
    """
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


def _text_content(lines: Sequence[str]) -> bytes:
    body = [b"BT /F1 11 Tf 14 TL 72 760 Td"]
    for line in lines:
        body.append(_pdf_string(line) + b" Tj T*")
    body.append(b"ET")
    return b"\n".join(body)


def _pages_pdf(contents: Sequence[bytes], resources: bytes, extra_objects=()) -> bytes:
    """Catalog (1), page tree (2), then page/content object pairs, then extras."""
    first_page = 3
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(len(contents)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(contents)),
    ]
    for i, content in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources %s /Contents %d 0 R >>" % (resources, first_page + 2 * i + 1)
        )
        objects.append(_stream(content))
    objects.extend(extra_objects)
    return build_pdf(objects)


def _font_resources_and_object(first_free: int) -> tuple[bytes, bytes]:
    resources = b"<< /Font << /F1 %d 0 R >> >>" % first_free
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    return resources, font


def pdf_with_pages(pages: Sequence[Sequence[str]]) -> bytes:
    """A valid PDF, one page per item, each page showing its lines in Helvetica.

    Text outside latin-1 is replaced by "?" (the font uses WinAnsiEncoding).
    """
    font_number = 3 + 2 * len(pages)
    resources, font = _font_resources_and_object(font_number)
    return _pages_pdf([_text_content(lines) for lines in pages], resources, [font])


def pdf_with_text(lines: Sequence[str] = DEFAULT_LINES) -> bytes:
    """A minimal valid one-page PDF whose text layer holds `lines`, one per line."""
    return pdf_with_pages([lines])


def pdf_with_positioned_text(items: Sequence[tuple[float, float, str]]) -> bytes:
    """A one-page PDF drawing each (x, y, text) at that position, in the given order.

    The content stream order is the list order, so tests can paint a page the
    way browsers do (a heading after the text below it, a side column last).
    """
    body = [b"BT /F1 11 Tf"]
    for x, y, text in items:
        body.append(b"1 0 0 1 %.2f %.2f Tm " % (x, y) + _pdf_string(text) + b" Tj")
    body.append(b"ET")
    resources, font = _font_resources_and_object(5)
    return _pages_pdf([b"\n".join(body)], resources, [font])


def pdf_with_content(content: bytes) -> bytes:
    """A one-page PDF whose content stream is `content` (font /F1: Helvetica)."""
    resources, font = _font_resources_and_object(5)
    return _pages_pdf([content], resources, [font])


def pdf_many_pages(count: int = 300) -> bytes:
    """A valid PDF of `count` pages, each with one line ("Page N")."""
    return pdf_with_pages([[f"Page {n}"] for n in range(1, count + 1)])


def pdf_image_only() -> bytes:
    """A 'scanned' PDF: one page drawing an 8x8 grey image XObject, no font at all."""
    image = _stream(
        zlib.compress(bytes(range(0, 256, 4))),
        b"/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode ",
    )
    content = b"q 400 0 0 400 100 200 cm /Im1 Do Q"
    return _pages_pdf([content], b"<< /XObject << /Im1 5 0 R >> >>", [image])


def pdf_truncated() -> bytes:
    """The first 40% of a valid PDF: starts with %PDF- but has no body or xref."""
    data = pdf_with_text()
    return data[: int(len(data) * 0.4)]


def pdf_encrypted(user_password: str = "secret") -> bytes:
    """A PDF encrypted with RC4-128 (pypdf's PdfWriter.encrypt, no extra packages).

    With the default user password it cannot be opened without the password.
    """
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text())))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_encrypted_no_user_password() -> bytes:
    """A PDF "protected" only by an owner password: it opens without a password."""
    return pdf_encrypted(user_password="")


def zlib_zeros(size: int) -> bytes:
    """A zlib stream that inflates to about `size` zero bytes, built by hand in O(size/158).

    One fixed-Huffman deflate block: a literal 0 then (length 258, distance 1)
    back-references, 13 bits per 258 bytes. Building it this way takes
    milliseconds where zlib.compress would have to scan every byte.
    """
    groups = max(2, (size - 1) // (258 * 8))

    def bits_for(group_count: int) -> bytes:
        acc, nbits = 0, 0

        def put(value: int, width: int, huffman: bool = False) -> None:
            nonlocal acc, nbits
            if huffman:  # Huffman codes are packed most significant bit first
                value = int(f"{value:0{width}b}"[::-1], 2)
            acc |= value << nbits
            nbits += width

        put(1, 1)  # BFINAL
        put(1, 2)  # BTYPE = 01, fixed Huffman
        put(0b00110000, 8, huffman=True)  # literal 0
        for _ in range(group_count * 8):
            put(0b11000101, 8, huffman=True)  # length code 285 = 258 bytes
            put(0, 5, huffman=True)  # distance code 0 = 1 byte back
        put(0, 7, huffman=True)  # end of block (256)
        return acc.to_bytes((nbits + 7) // 8, "little")

    # After the first 11 bits the stream repeats every 8 symbols = 104 bits = 13 bytes.
    sample = bits_for(2)
    head, unit, tail = sample[:2], sample[2:15], sample[15:]
    deflate = head + unit * (groups - 1) + tail
    length = 1 + 258 * 8 * groups
    adler = ((length % 65521) << 16) | 1  # adler32 of `length` zero bytes
    return b"\x78\x01" + deflate + struct.pack(">I", adler)


@functools.cache
def pdf_decompression_bomb(inflated_mb: int = 400) -> bytes:
    """A ~10 KB PDF whose page content inflates to `inflated_mb` MB of zero bytes.

    The content stream is FlateDecode applied twice (/Filter [/FlateDecode
    /FlateDecode]); the page has a font. pdfium has no inflation limit of its
    own: parsing the page (already at upload, to look for text) needs about
    twice `inflated_mb` of memory, so the PDF child's memory limit stops it.
    """
    inner = zlib_zeros(inflated_mb * 1024 * 1024)
    outer = zlib.compress(inner, 9)
    resources, font = _font_resources_and_object(5)
    content = _stream(outer, b"/Filter [/FlateDecode /FlateDecode] ")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources " + resources + b" /Contents 4 0 R >>",
        content,
        font,
    ]
    return build_pdf(objects)


@functools.cache
def pdf_slow_to_parse(invocations: int = 5000, operators_per_form: int = 200_000) -> bytes:
    """A small PDF whose second page keeps the parser busy for minutes, in little memory.

    Page 1 is an ordinary text page, so the upload checks (which stop at the
    first page with text) accept the file. Page 2 invokes one form XObject
    `invocations` times; the form's content stream holds `operators_per_form`
    "q Q" pairs (save and restore the graphics state: no object is created,
    so memory stays flat). Parsing the page means interpreting ~1,000 million
    operators, about 20 ms per invocation with pdfium; compressed, the file is
    a few KB. Only a time limit stops it.
    """
    form = _stream(
        zlib.compress(b"q Q " * operators_per_form, 9),
        b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Filter /FlateDecode ",
    )
    heavy = _stream(zlib.compress(b"/Fx Do\n" * invocations, 9), b"/Filter /FlateDecode ")
    resources, font = _font_resources_and_object(7)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources " + resources + b" /Contents 4 0 R >>",
        _stream(_text_content(DEFAULT_LINES)),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /XObject << /Fx 8 0 R >> >> /Contents 6 0 R >>",
        heavy,
        font,
        form,
    ]
    return build_pdf(objects)


# -------------------------------------------------------------------------- DOCX

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="bin" ContentType="application/octet-stream"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/header1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>'
    "</Types>"
)

_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)

_HEADER_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rIdH1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/header" Target="header1.xml"/>'
    "</Relationships>"
)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _w_paragraph(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{_xml_escape(text)}</w:t></w:r></w:p>'


def _w_table(rows: Sequence[Sequence[str]]) -> str:
    cells = "".join(
        "<w:tr>" + "".join(f"<w:tc>{_w_paragraph(cell)}</w:tc>" for cell in row) + "</w:tr>"
        for row in rows
    )
    return f"<w:tbl>{cells}</w:tbl>"


def _document_xml(body: str, *, doctype: str = "", with_header: bool = False) -> str:
    sect = '<w:sectPr><w:headerReference w:type="default" r:id="rIdH1"/></w:sectPr>'
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + doctype
        + f'<w:document xmlns:w="{_W_NS}" xmlns:r="{_R_NS}"><w:body>'
        + body
        + (sect if with_header else "")
        + "</w:body></w:document>"
    )


def _docx_zip(document_xml: str, extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _PACKAGE_RELS)
        zf.writestr("word/document.xml", document_xml)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out.getvalue()


def docx_with_paragraphs(
    paragraphs: Sequence[str] = DEFAULT_LINES,
    *,
    table: Sequence[Sequence[str]] | None = None,
    after_table: Sequence[str] = (),
    header: str | None = None,
) -> bytes:
    """A minimal valid DOCX: `paragraphs`, then an optional `table` (rows of cell
    texts), then `after_table` paragraphs; optionally a default page `header`."""
    body = "".join(_w_paragraph(p) for p in paragraphs)
    if table:
        body += _w_table(table)
    body += "".join(_w_paragraph(p) for p in after_table)
    extra: dict[str, bytes] = {}
    if header is not None:
        extra["word/_rels/document.xml.rels"] = _HEADER_RELS.encode()
        extra["word/header1.xml"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<w:hdr xmlns:w="{_W_NS}" xmlns:r="{_R_NS}">{_w_paragraph(header)}</w:hdr>'
        ).encode()
    return _docx_zip(_document_xml(body, with_header=header is not None), extra)


def docx_not_a_zip() -> bytes:
    """Unrecognisable binary bytes, meant to be uploaded under a .docx name."""
    return b"\x13\x37\x00\x01" + bytes(range(256)) * 8


def docx_truncated() -> bytes:
    """The first half of a valid DOCX: a zip local header but no central directory."""
    data = docx_with_paragraphs()
    return data[: len(data) // 2]


@functools.cache
def docx_zip_bomb(member_mb: int = 60) -> bytes:
    """A valid DOCX (~60 KB) carrying an extra member of `member_mb` MB of zeros.

    The member is compressed with zlib level 9 (ratio ~1000:1): its declared
    uncompressed size is over the 50 MiB limit (at the default 60) and its
    compression ratio is absurd in any case.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _PACKAGE_RELS)
        zf.writestr("word/document.xml", _document_xml(_w_paragraph("Jane Example")))
        chunk = bytes(1024 * 1024)
        with zf.open("word/media/padding.bin", "w", force_zip64=True) as member:
            for _ in range(member_mb):
                member.write(chunk)
    return out.getvalue()


def docx_with_external_entity(target: str = "file:///etc/passwd") -> bytes:
    """A DOCX whose document.xml declares an external entity pointing at `target`
    and uses it in a paragraph (XXE). A safe reader must not include the file."""
    doctype = f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "{target}">]>\n'
    body = _w_paragraph("Jane Example") + "<w:p><w:r><w:t>before &xxe; after</w:t></w:r></w:p>"
    return _docx_zip(_document_xml(body, doctype=doctype))


def docx_billion_laughs(levels: int = 9) -> bytes:
    """A DOCX whose document.xml nests internal entities 10^`levels` times deep
    ("billion laughs"). A safe reader must not expand them."""
    decls = ['<!ENTITY lol0 "lol">']
    decls += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)]
    doctype = "<!DOCTYPE w:document [" + "".join(decls) + "]>\n"
    body = _w_paragraph("Jane Example") + f"<w:p><w:r><w:t>&lol{levels};</w:t></w:r></w:p>"
    return _docx_zip(_document_xml(body, doctype=doctype))


def xlsx_like_zip() -> bytes:
    """A zip that is not a Word document (a spreadsheet-shaped OOXML package)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


# ------------------------------------------------------------- images and binaries


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    """A valid greyscale PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes([128] * width) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """The start of a JPEG/JFIF file (magic and APP0 segment) plus filler."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(200)


def gif_bytes() -> bytes:
    """A 1x1 GIF89a image."""
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
        b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


def elf_bytes() -> bytes:
    """The header of a 64-bit Linux executable (ELF) plus zero padding."""
    return b"\x7fELF\x02\x01\x01\x00" + bytes(56) + bytes(range(256))


def binary_junk(size: int = 4096) -> bytes:
    """Deterministic pseudo-random bytes with no known signature."""
    out = bytearray()
    state = 0x2545F491
    while len(out) < size:
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out += state.to_bytes(4, "little")
    out[0:4] = b"\x13\x37\x00\x01"
    return bytes(out[:size])


# --------------------------------------------------------------------------- text

LATIN1_TEXT = (
    "Hans Müller\nZürich, Schweiz\r\nhans.mueller@example.ch\r\nErfahrung: Bäckerei Straße\n"
)


def txt_utf8(text: str = "Jane Example\njane@example.com\n", *, bom: bool = False) -> bytes:
    """UTF-8 text, optionally with a byte-order mark."""
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def txt_latin1(text: str = LATIN1_TEXT) -> bytes:
    """Latin-1 text ("Müller, Zürich"): not valid UTF-8, mixed CRLF/LF newlines."""
    return text.encode("latin-1")


def txt_utf16_bom(text: str = "Jane Émile Example\r\njane@example.com\r\n") -> bytes:
    """UTF-16 little-endian text with its byte-order mark (as Windows Notepad saves)."""
    return text.encode("utf-16")  # Python writes the BOM, native (little) endian


def traversal_file_name() -> str:
    """A hostile client file name: path traversal, a NUL byte and a control character."""
    return "../../etc/\x1bpasswd\x00.pdf"
