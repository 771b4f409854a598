"""What every renderer of the development corpus shares.

The corpus is a folder shaped like shared/cv-samples, so the reference scorer
reads it as it is:

    OUT/c-NNN.json          each person's truth, byte for byte
    OUT/c-NNN~years-<sections>.json  the same with the dates of those sections
                            (work, education) cut to their years: the truth
                            of a document that prints them as years only
                            (`years_only_sections`)
    OUT/<file>              the rendered documents: c-NNN-<layout>.pdf|docx|txt
    OUT/manifest.csv        file, person_id (the truth file's name), person,
                            theme, family, format, lang, pages
    OUT/visibility.json     per document, the truth values it does not print
    OUT/parts/<layout>.jsonl  what each renderer wrote (merged by `merge`)

A *layout* is one way of printing a CV (a theme, a Word layout, a LaTeX
template, a text style); a *family* groups the layouts that share a design
(a theme's PDF and the `pdftotext -layout` text of it; a Word layout as DOCX
and as PDF). Folds and the sealed split are cut by family, so that a layout
held out is unseen together with everything derived from it.

Renderers receive a *render-ready* copy of each truth (`render_ready`): the
v0 and v1 keys both set, dates written ISO where they can be read, keyword
objects turned into strings. The text printed is the owner's; only its form
is made readable for the themes.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import random
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO.parent / "shared" / "cv-corpus"
SEED = 20261203
MANIFEST_FIELDS = ["file", "person_id", "person", "theme", "family", "format", "lang", "pages"]
# The truth of a document that prints some sections' dates as years only:
# `<person>~years-<sections>.json` (`years_truth_id`).
YEARS = "~years"


@dataclass(frozen=True)
class Person:
    id: str
    lang: str
    truth: dict  # the owner's file, parsed
    raw: bytes  # the owner's file, byte for byte

    def ready(self) -> dict:
        return render_ready(self.truth)


def people(source: Path = SOURCE, only: Iterable[str] | None = None) -> list[Person]:
    wanted = set(only) if only else None
    with open(source / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        if wanted is not None and row["id"] not in wanted:
            continue
        raw = (source / "people" / f"{row['id']}.json").read_bytes()
        truth = json.loads(raw.decode("utf-8-sig"))
        out.append(Person(row["id"], row.get("lang") or "", truth, raw))
    return out


# --------------------------------------------------------------------------- render-ready copy
_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            "jan january janvier enero janeiro januar gennaio",
            "feb february février fevrier febrero fevereiro februar febbraio",
            "mar march mars marzo março marco märz",
            "apr april avril abril aprile",
            "may mai mayo maio maggio",
            "jun june juin junio junho juni giugno",
            "jul july juillet julio julho juli luglio",
            "aug august août aout agosto",
            "sep sept september septembre septiembre setembro settembre",
            "oct october octobre octubre outubro oktober ottobre",
            "nov november novembre noviembre novembro",
            "dec december décembre decembre diciembre dezembro dezember dicembre",
        ]
    )
    for name in names.split()
}


def iso_date(value) -> str | None:
    """YYYY-MM-DD (or YYYY) for the date forms owners write; None when not a date."""
    if value is None:
        return None
    s = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    m = re.fullmatch(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?:t.*)?", s)
    if m:
        y, mo, d = m.group(1), m.group(2), m.group(3)
        if not mo or not 1 <= int(mo) <= 12:
            return y
        return f"{y}-{int(mo):02d}-{int(d) if d and 1 <= int(d) <= 31 else 1:02d}"
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{4})", s)
    if m and 1 <= int(m.group(1)) <= 12:
        return f"{m.group(2)}-{int(m.group(1)):02d}-01"
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", s)
    if m:
        d, mo = int(m.group(1)), int(m.group(2))
        if mo > 12 and d <= 12:
            mo = d
        return f"{m.group(3)}-{mo:02d}-01" if 1 <= mo <= 12 else m.group(3)
    m = re.fullmatch(r"([^\d\s.,]+)\.?,?\s+(?:de\s+)?(\d{4})", s)
    if m and m.group(1) in _MONTHS:
        return f"{m.group(2)}-{_MONTHS[m.group(1)]:02d}-01"
    return None


def _text(v) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        for key in ("name", "title", "label", "value"):
            if isinstance(v.get(key), str):
                return v[key]
        return None
    if isinstance(v, (int, float)):
        return str(v)
    return None


def _entries(v) -> list[dict]:
    return [e for e in v if isinstance(e, dict)] if isinstance(v, list) else []


def render_ready(truth: dict) -> dict:
    """A copy the themes can print: v0 and v1 keys both present, ISO dates,
    string keywords and highlights. Values are the owner's text."""
    d = copy.deepcopy(truth) if isinstance(truth, dict) else {}
    b = d.get("basics") if isinstance(d.get("basics"), dict) else {}
    d["basics"] = b
    for k in ("name", "label", "email", "phone", "summary"):
        if k in b and not isinstance(b[k], str):
            b[k] = _text(b[k]) or ""
    url = b.get("url") or b.get("website")
    if isinstance(url, dict):
        url = url.get("url")
    if isinstance(url, str) and url:
        b["url"] = b["website"] = url
    else:
        b.pop("url", None)
        b.pop("website", None)
    if b.get("picture") and not b.get("image"):
        b["image"] = b["picture"]
    # Portraits would be fetched from the network: never rendered.
    b.pop("image", None)
    b.pop("picture", None)
    loc = b.get("location")
    b["location"] = (
        loc if isinstance(loc, dict) else ({"city": loc} if isinstance(loc, str) else {})
    )
    profiles = []
    for p in _entries(b.get("profiles")):
        p = dict(p)
        for k in ("network", "username", "url"):
            if k in p and not isinstance(p[k], str):
                p[k] = _text(p[k]) or ""
        profiles.append(p)
    b["profiles"] = profiles

    for section in (
        "work",
        "volunteer",
        "education",
        "awards",
        "publications",
        "projects",
        "certificates",
    ):
        items = []
        for e in _entries(d.get(section)):
            e = dict(e)
            if section in ("work", "volunteer"):
                name = e.get("name") or e.get("company") or e.get("organization")
                if isinstance(name, str):
                    e["name"] = e["company"] = name
                    if section == "volunteer":
                        e["organization"] = name
                site = e.get("url") or e.get("website")
                if isinstance(site, str):
                    e["url"] = e["website"] = site
            for k in ("startDate", "endDate", "date", "releaseDate"):
                if k in e:
                    iso = iso_date(e[k])
                    if iso:
                        e[k] = iso
                    else:
                        e.pop(k)  # "Present", "now", garbage: themes print their own word
            for k in ("highlights", "courses", "keywords", "roles"):
                if k in e:
                    e[k] = [
                        t
                        for t in (_text(x) for x in (e[k] if isinstance(e[k], list) else [e[k]]))
                        if t
                    ]
            for k, v in list(e.items()):
                if isinstance(v, (dict, list)) and k not in (
                    "highlights",
                    "courses",
                    "keywords",
                    "roles",
                    "location",
                ):
                    e.pop(k)
            if isinstance(e.get("location"), dict):
                e["location"] = ", ".join(
                    str(x) for x in e["location"].values() if isinstance(x, str)
                )
            items.append(e)
        d[section] = items
    for section in ("skills", "languages", "interests", "references"):
        items = []
        for e in _entries(d.get(section)):
            e = dict(e)
            if "keywords" in e:
                kws = e["keywords"] if isinstance(e["keywords"], list) else [e["keywords"]]
                e["keywords"] = [t for t in (_text(x) for x in kws) if t]
            for k in ("name", "level", "language", "fluency", "reference"):
                if k in e and not isinstance(e[k], str):
                    e[k] = _text(e[k]) or ""
            items.append(e)
        d[section] = items
    d.pop("meta", None)
    d.pop("$schema", None)
    return d


# --------------------------------------------------------------------------- what a document prints
def document_text(path: Path) -> tuple[str, list[str]]:
    """The text a rendered document prints and its link targets, for visibility."""
    kind = path.suffix.lower().lstrip(".")
    if kind == "pdf":
        return _pdf_text(path)
    if kind == "docx":
        return _docx_text(path)
    return path.read_text(encoding="utf-8"), []


def _pdf_text(path: Path) -> tuple[str, list[str]]:
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as c

    doc = pdfium.PdfDocument(path)
    texts, links = [], []
    try:
        for page in doc:
            tp = page.get_textpage()
            texts.append(tp.get_text_range())
            pos = ctypes.c_int(0)
            link = c.FPDF_LINK()
            while c.FPDFLink_Enumerate(page.raw, ctypes.byref(pos), ctypes.byref(link)):
                action = c.FPDFLink_GetAction(link)
                if action:
                    n = c.FPDFAction_GetURIPath(doc.raw, action, None, 0)
                    if n:
                        buf = ctypes.create_string_buffer(n)
                        c.FPDFAction_GetURIPath(doc.raw, action, buf, n)
                        links.append(buf.value.decode("utf-8", "replace"))
            tp.close()
            page.close()
    finally:
        doc.close()
    return "\n".join(texts), links


def _docx_text(path: Path) -> tuple[str, list[str]]:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
        rels = (
            zf.read("word/_rels/document.xml.rels").decode("utf-8")
            if "word/_rels/document.xml.rels" in zf.namelist()
            else ""
        )
    xml = re.sub(r"</w:p>", "\n", xml)
    xml = re.sub(r"<w:tab/>|</w:tc>", " ", xml)
    xml = re.sub(r"<w:br/>", "\n", xml)
    text = re.sub(r"<[^>]+>", "", xml)
    import html

    text = html.unescape(text)
    links = re.findall(r'Target="([^"]+)"[^>]*TargetMode="External"', rels)
    links += re.findall(r'TargetMode="External"[^>]*Target="([^"]+)"', rels)
    return text, [html.unescape(u) for u in links]


def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).casefold()
    return re.sub(r"\s+", " ", s).strip()


def _tight(s: str) -> str:
    return re.sub(r"\s+", "", _norm(s))


def norm_url(u) -> str:
    if isinstance(u, dict):
        u = u.get("url")
    if not isinstance(u, str) or not u.strip():
        return ""
    u = u.strip().lower()
    u = re.sub(r"^[a-z][a-z0-9+.-]*://", "", u)
    u = re.sub(r"^www\.", "", u)
    u = u.split("#")[0]
    return u.rstrip("/")


def norm_skill(s) -> str:
    s = unicodedata.normalize("NFKC", str(s)).casefold()
    s = "".join(ch for ch in s if ch.isalnum() or ch.isspace() or ch in "+#")
    return re.sub(r"\s+", " ", s).strip()


def _value_text(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        return v.get("name") or v.get("url") or ""
    return "" if v is None else str(v)


# The names of things a city can be part of ("University of Toronto", "Paris
# Saint-Germain"): where the city stands only inside one of them, the document
# does not say where the person lives.
_NAMED = {
    "work": ("name", "company"),
    "education": ("institution",),
    "volunteer": ("organization", "name"),
    "awards": ("awarder", "title"),
    "publications": ("publisher", "name"),
    "projects": ("name", "entity"),
    "certificates": ("issuer", "name"),
}


def city_shows(truth: dict, city: str, text: str) -> bool:
    """Whether the document prints the person's city: as a word of its own
    ("Cali" is not printed by "California") outside the names of employers,
    schools and other named things that contain it ("University of Toronto"
    does not say the person lives in Toronto)."""
    c = _norm(city).strip(" .,;:-–—|/")
    if not c:
        return True
    norm = _norm(text)
    names = []
    for section, keys in _NAMED.items():
        for e in _entries(truth.get(section)):
            for k in keys:
                v = _norm(_value_text(e.get(k)))
                if v and c in v and v != c:
                    names.append(v)
    for v in sorted(set(names), key=len, reverse=True):
        norm = norm.replace(v, " ")
    return re.search(rf"(?<!\w){re.escape(c)}(?!\w)", norm) is not None


def _words_pattern(n: str) -> str:
    """A pattern for the words of `n` (normalised) as words of their own, any
    run of white space (a line break too) between them. Only a letter joins
    a word: a digit may touch it, as where a PDF's text runs a date column
    into the line beside it ("06.2021Master of Science")."""
    words = [re.escape(w) for w in n.split()]
    return _NO_LETTER_BEFORE + r"\s+".join(words) + _NO_LETTER_AFTER if words else ""


_NO_LETTER_BEFORE, _NO_LETTER_AFTER = r"(?<![^\W\d_])", r"(?![^\W\d_])"


def word_shows(value, text: str) -> bool:
    """Whether `value` (a degree, a field of study) is printed as words of its
    own: "BS" is not printed by "jobs", nor "Arts" by "Martha". A value of
    several words counts wherever it stands; letter-spaced ("C O M P U T E R")
    counts, still as a word of its own."""
    v = _norm(_value_text(value)).strip(" .,;:-–—|/")
    if not v:
        return True
    norm = _norm(text)
    if re.search(_words_pattern(v), norm) or (len(v.split()) > 1 and v in norm):
        # several words are no chance inside other words: where a PDF's text
        # runs the next column into them ("ComunicacionesAug 2014") they count
        return True
    spaced = r"\s*".join(re.escape(ch) for ch in re.sub(r"\s+", "", v))
    return re.search(_NO_LETTER_BEFORE + spaced + _NO_LETTER_AFTER, norm) is not None


# --------------------------------------------------------------------------- what a template prints
# Values a template may leave out whatever the person wrote (a theme with no
# place for a degree or a field of study): the generator renders a copy of the
# truth with each of them replaced by a mark (`probe_truth`) and takes the
# marks the output does not print as not printed (`unprinted_keys`). Words of
# such a value that stand elsewhere in the document do not print it.
PROBED = {
    "work": ("name", "position"),
    "education": ("institution", "area", "studyType"),
}


def _mark(n: int) -> str:
    letters = ""
    while True:
        n, r = divmod(n, 26)
        letters = chr(ord("a") + r) + letters
        if not n:
            break
    return f"zqvk{letters}x"


def probe_truth(truth: dict) -> tuple[dict, dict[str, str]]:
    """A copy of `truth` with every probed value (the city, PROBED's entry
    fields) replaced by a mark of letters no CV prints; {scorer key: mark}."""
    t = copy.deepcopy(truth) if isinstance(truth, dict) else {}
    marks: dict[str, str] = {}

    def mark(key: str) -> str:
        marks[key] = _mark(len(marks))
        return marks[key]

    b = t.get("basics") if isinstance(t.get("basics"), dict) else {}
    loc = b.get("location")
    if isinstance(loc, dict) and isinstance(loc.get("city"), str) and loc["city"].strip():
        loc["city"] = mark("basics.location.city")
    for section, keys in PROBED.items():
        entries = t.get(section)
        for i, e in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(e, dict):
                continue
            for k in keys:
                own = [k] + (["company"] if (section, k) == ("work", "name") else [])
                present = [x for x in own if isinstance(e.get(x), str) and e[x].strip()]
                if present:
                    m = mark(f"{section}[{i}].{k}")
                    for x in present:
                        e[x] = m
    return t, marks


def visible_text(html: str) -> str:
    """The text of an HTML page a reader sees: no head, scripts or styles."""
    import html as html_lib

    html = re.sub(r"(?is)<(head|script|style|template)\b.*?</\1\s*>", " ", html)
    html = re.sub(r"(?s)<!--.*?-->", " ", html)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", html))


def unprinted_keys(html: str, marks: dict[str, str]) -> list[str]:
    """The keys of `marks` whose mark the rendered `html` does not show."""
    text = visible_text(html).casefold()
    return sorted(k for k, m in marks.items() if m not in text)


def hidden_keys(truth: dict, text: str, links: list[str]) -> list[str]:
    """The scorer's keys (see score.py, visibility) of the truth values that a
    document with this text and these link targets does not print."""
    norm, tight = _norm(text), _tight(text)
    link_urls = {norm_url(u) for u in links}
    link_norm = " ".join(_norm(u) for u in links)
    url_text = re.sub(r"[a-z][a-z0-9+.-]*://", "", norm).replace("www.", "")
    digit_lines = [re.sub(r"\D", "", ln) for ln in text.splitlines()]
    skills_text = " " + " ".join(norm_skill(ln) for ln in text.splitlines()) + " "

    def shows(value) -> bool:
        v = _value_text(value)
        if not v.strip():
            return True  # nothing to print: the scorer does not score it
        n = _norm(v).strip(" .,;:-–—|/")
        return not n or n in norm or re.sub(r"\s+", "", n) in tight

    out: list[str] = []
    b = truth.get("basics") if isinstance(truth.get("basics"), dict) else {}
    if not shows(b.get("name")):
        out.append("basics.name")
    email = _value_text(b.get("email")).strip().lower()
    if email and email not in norm and f"mailto:{email}" not in link_norm:
        out.append("basics.email")
    phone = re.sub(r"\D", "", _value_text(b.get("phone")))[-9:]
    if (
        phone
        and not any(phone in d for d in digit_lines)
        and phone not in re.sub(r"\D", "", link_norm)
    ):
        out.append("basics.phone")
    loc = b.get("location")
    city = loc.get("city") if isinstance(loc, dict) else None
    if isinstance(city, str) and city.strip() and not city_shows(truth, city, text):
        out.append("basics.location.city")
    urls = []
    for u in (b.get("url"), b.get("website")):
        urls.append(u)
    for p in _entries(b.get("profiles")):
        urls.append(p.get("url"))
    for u in urls:
        nu = norm_url(u)
        if nu and nu not in link_urls and nu not in url_text and nu not in tight:
            key = f"basics.urls|{nu}"
            if key not in out:
                out.append(key)
    for i, w in enumerate(truth.get("work") if isinstance(truth.get("work"), list) else []):
        if not isinstance(w, dict):
            continue
        company = w.get("name") or w.get("company")
        if company and not shows(company):
            out.append(f"work[{i}].name")
        if w.get("position") and not shows(w.get("position")):
            out.append(f"work[{i}].position")
    for i, e in enumerate(
        truth.get("education") if isinstance(truth.get("education"), list) else []
    ):
        if not isinstance(e, dict):
            continue
        if e.get("institution") and not shows(e.get("institution")):
            out.append(f"education[{i}].institution")
        for k in ("area", "studyType"):
            if e.get(k) and not word_shows(e.get(k), text):
                out.append(f"education[{i}].{k}")
    out += unprinted_dates(truth, text)
    seen = set()
    for s in _entries(truth.get("skills")):
        items = [s.get("name")] + (s.get("keywords") if isinstance(s.get("keywords"), list) else [])
        for it in items:
            it = _value_text(it) if not isinstance(it, str) else it
            n = norm_skill(it) if it else ""
            if n and n not in seen:
                seen.add(n)
                if f" {n} " not in skills_text:
                    out.append(f"skills|{n}")
    return out


_DATED = ("work", "education")
_MONTH_NAMES: dict[int, list[str]] = {}
for _name, _number in _MONTHS.items():
    _MONTH_NAMES.setdefault(_number, []).append(_name)
# The short forms the generator's own layouts print (cvwords.MONTHS_SHORT).
for _number, _names in enumerate(
    [
        "janv ene",
        "févr fevr fev",
        "mrz",
        "avr abr",
        "",
        "",
        "juil",
        "ago",
        "set",
        "out okt",
        "",
        "déc dic dez",
    ],
    start=1,
):
    _MONTH_NAMES[_number] += _names.split()


def _month_forms(year: str, month: int, *, tight: bool = False) -> re.Pattern:
    """The ways a document prints month `month` of `year` (casefolded text):
    03/2019, 3.2019, 2019-03, 2019/3, Mar 2019, March, 2019, Sep-2019,
    mars 2019, marzo de 2019, Mar '19, 2019-Sep, 2019 March. `tight`: for text
    with its spaces taken out, where a month name runs into the word before."""
    names = "|".join(re.escape(n) for n in sorted(_MONTH_NAMES[month], key=len, reverse=True))
    word, gap = ("", r"\s*") if tight else (r"(?<!\w)", r"\s+")
    return re.compile(
        rf"(?<!\d)0?{month}\s*[/.\-]\s*{year}(?!\d)"
        rf"|(?<!\d){year}\s*[/.\-]\s*0?{month}(?!\d)"
        rf"|{word}(?:{names})\.?[\s,/\-]*(?:de{gap}|of{gap})?(?:{year}|[\'’]{year[2:]})(?!\d)"
        rf"|(?<!\d){year}[\s,/.\-]*(?:{names})(?!\w)"
    )


def years_only_sections(truth: dict, text: str) -> list[str]:
    """The sections (work, education) whose dates the document prints as years
    only: it prints the year of every one of the section's dates whose truth
    has a month, and the month of none of them. The scorer compares a
    truth with a month at the month, so such a document is scored against the
    person's truth with those sections' dates cut to their years
    (`years_only`), as the scorer compares a year-only truth at the year.
    Some themes print a job's months and a school's years."""
    norm = unicodedata.normalize("NFKC", text).casefold()
    tight = re.sub(r"\s+", "", norm)  # a PDF whose text layer has a letter a line
    out = []
    for section in _DATED:
        dated = years_printed = 0
        months_seen = False
        for e in _entries(truth.get(section)):
            for key in ("startDate", "endDate"):
                iso = iso_date(e.get(key))
                if not iso or len(iso) < 7:
                    continue  # no date, or a year only
                year, month = iso[:4], int(iso[5:7])
                forms = _month_forms(year, month)
                if forms.search(norm) or forms.search(tight):
                    months_seen = True
                    break
                dated += 1
                years_printed += re.search(rf"(?<!\d){year}(?!\d)", norm) is not None
            if months_seen:
                break
        # Every year printed: a theme that leaves the section's dates out
        # altogether prints some of those years elsewhere, not all of them.
        if not months_seen and dated and years_printed == dated:
            out.append(section)
    return out


def _wrapped_month(year: str, month: int) -> re.Pattern:
    """Month `month` of `year` in the text of a page laid out in columns
    (`pdftotext -layout`) whose date column wrapped: the month name ends a
    line and the year ends one of the next two ("Oct 2007 - Mar" / "2011")."""
    names = "|".join(re.escape(n) for n in sorted(_MONTH_NAMES[month], key=len, reverse=True))
    return re.compile(
        rf"(?<!\w)(?:{names})\.?[ \t]*\r?\n(?:[^\n]*\n)?[^\n]*(?<!\d){year}[ \t]*\r?$",
        re.MULTILINE,
    )


def unprinted_dates(truth: dict, text: str) -> list[str]:
    """The scorer's keys (`work[0].startDate`) of the work and education dates
    the document does not print. A section that prints its dates at their month
    prints each of them that way: one whose month it does not print is not
    printed. Otherwise a date is printed when the document prints its year; a
    year printed elsewhere (another section's dates) keeps the date scored.
    Some themes print only a school's end date, or no school dates at all; the
    scorer scores a hidden date as one to be read as missing."""
    norm = unicodedata.normalize("NFKC", text).casefold()
    tight = re.sub(r"\s+", "", norm)
    out = []
    for section in _DATED:
        dates = []
        for i, e in enumerate(truth.get(section) if isinstance(truth.get(section), list) else []):
            if not isinstance(e, dict):
                continue
            for key in ("startDate", "endDate"):
                iso = iso_date(e.get(key))
                if iso:
                    dates.append((f"{section}[{i}].{key}", iso))
        at_month = {}
        for key, iso in dates:
            if len(iso) >= 7:
                year, month = iso[:4], int(iso[5:7])
                at_month[key] = bool(
                    _month_forms(year, month).search(norm)
                    or _month_forms(year, month, tight=True).search(tight)
                    or _wrapped_month(year, month).search(norm)
                )
        # A job's "May 2011" can be a school's end month too: a section prints
        # months when at least two of its dates, and half of them, show so.
        found = sum(at_month.values())
        months = found >= 2 and 2 * found >= len(at_month)
        for key, iso in dates:
            if months and key in at_month:
                shown = at_month[key]
            else:
                year = rf"(?<!\d){iso[:4]}(?!\d)"
                shown = bool(re.search(year, norm) or re.search(year, tight))
            if not shown:
                out.append(key)
    return out


def years_only(truth: dict, sections: Iterable[str] = _DATED) -> dict:
    """`truth` with every date of `sections` that `iso_date` reads cut to its
    year (what a document printing those dates as years shows of them)."""
    out = copy.deepcopy(truth)
    for section in sections:
        for e in _entries(out.get(section)):
            for key in ("startDate", "endDate"):
                iso = iso_date(e.get(key))
                if iso and len(iso) >= 7:
                    e[key] = iso[:4]
    return out


def years_truth_id(person: str, sections: Iterable[str]) -> str:
    """The truth file's name (without .json) of a document of `person` that
    prints `sections`' dates as years: the person's own id when there are none."""
    sections = sorted(sections)
    return f"{person}{YEARS}-{'-'.join(sections)}" if sections else person


# --------------------------------------------------------------------------- writing a corpus
def pdf_pages(path: Path) -> int | None:
    try:
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(path)
        try:
            return len(doc)
        finally:
            doc.close()
    except Exception:
        return None


class Part:
    """One renderer's record of what it wrote: `add` after each document."""

    def __init__(self, out: Path, layout: str, family: str):
        self.out, self.layout, self.family = Path(out), layout, family
        (self.out / "parts").mkdir(parents=True, exist_ok=True)
        self.path = self.out / "parts" / f"{layout}.jsonl"
        self._rows: dict[str, dict] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    self._rows[row["file"]] = row

    def file_name(self, person: Person, fmt: str) -> str:
        return f"{person.id}-{self.layout}.{fmt}"

    def done(self, person: Person, fmt: str) -> bool:
        name = self.file_name(person, fmt)
        return name in self._rows and (self.out / name).exists()

    def add(
        self,
        person: Person,
        fmt: str,
        *,
        text: str | None = None,
        links: list[str] | None = None,
        unprinted: list[str] | None = None,
    ) -> None:
        """Record `OUT/<file_name(person, fmt)>`, already written; its visibility
        is computed from the document itself unless `text` is given, and
        `unprinted` (keys its template does not print: `unprinted_keys`) is
        added to it."""
        name = self.file_name(person, fmt)
        path = self.out / name
        if text is None:
            text, found = document_text(path)
            links = (links or []) + found
        row = {
            "file": name,
            "person_id": person.id,
            "theme": self.layout,
            "family": self.family,
            "format": fmt,
            "lang": person.lang,
            "pages": pdf_pages(path) if fmt == "pdf" else "",
            "hidden": with_unprinted(hidden_keys(person.truth, text, links or []), unprinted),
            "years": years_only_sections(person.truth, text),
        }
        if unprinted is not None:
            row["unprinted"] = sorted(unprinted)
        self._rows[name] = row
        self.path.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self._rows.values()),
            encoding="utf-8",
        )


def with_unprinted(hidden: list[str], unprinted: list[str] | None) -> list[str]:
    """`hidden` and then the keys of `unprinted` it does not hold yet."""
    return hidden + [k for k in unprinted or [] if k not in hidden]


def _revisit_one(item: tuple[str, dict, list[str] | None]) -> tuple[str, tuple[list[str], bool]]:
    path, truth, unprinted = item
    text, links = document_text(Path(path))
    hidden = with_unprinted(hidden_keys(truth, text, links), unprinted)
    return path, (hidden, years_only_sections(truth, text))


def revisit(out: Path, persons: list[Person], jobs: int = 2) -> int:
    """Compute again what each document already written prints (after a change
    to `hidden_keys` or `years_only_sections`), without rendering anything; returns
    how many changed."""
    import multiprocessing as mp

    out = Path(out)
    truths = {p.id: p.truth for p in persons}
    changed = 0
    for part in sorted((out / "parts").glob("*.jsonl")):
        rows = [json.loads(x) for x in part.read_text(encoding="utf-8").splitlines() if x.strip()]
        todo = [
            (str(out / r["file"]), truths[r["person_id"]], r.get("unprinted"))
            for r in rows
            if r["person_id"] in truths and (out / r["file"]).exists()
        ]
        with mp.Pool(max(1, jobs)) as pool:
            hidden = dict(pool.imap_unordered(_revisit_one, todo, chunksize=8))
        for r in rows:
            new = hidden.get(str(out / r["file"]))
            if new is not None and new != (r["hidden"], r.get("years")):
                r["hidden"], r["years"] = new
                changed += 1
        part.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
    return changed


def merge(out: Path, source: Path = SOURCE) -> int:
    """Write manifest.csv, visibility.json and the truth files from the parts."""
    out = Path(out)
    rows = []
    for part in sorted((out / "parts").glob("*.jsonl")):
        for line in part.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if (out / row["file"]).exists():
                    rows.append(row)
    rows.sort(key=lambda r: r["file"])
    for row in rows:
        row["person"] = row["person_id"]
        row["person_id"] = years_truth_id(row["person"], row.get("years") or [])
    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=MANIFEST_FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    (out / "visibility.json").write_text(
        json.dumps({r["file"]: r["hidden"] for r in rows}, ensure_ascii=False, indent=0),
        encoding="utf-8",
    )
    for pid in {r["person"] for r in rows}:
        shutil.copyfile(source / "people" / f"{pid}.json", out / f"{pid}.json")
    for pid, sections in {(r["person"], tuple(sorted(r.get("years") or []))) for r in rows}:
        if sections:
            raw = (source / "people" / f"{pid}.json").read_bytes()
            truth = years_only(json.loads(raw.decode("utf-8-sig")), sections)
            (out / f"{years_truth_id(pid, sections)}.json").write_text(
                json.dumps(truth, ensure_ascii=False, indent=2), encoding="utf-8"
            )
    shutil.copyfile(REPO.parent / "shared" / "cv-samples" / "score.py", out / "score.py")
    return len(rows)


# --------------------------------------------------------------------------- splits
# Layout families added after the sealed split was first drawn. They take no
# part in the draw, so that adding a family never moves the seal onto layouts
# the extractor was developed on (nor unseals the families drawn first).
LATER_FAMILIES = frozenset(
    f"theme-{name}"
    for name in (
        "compact",
        "crisp",
        "direct",
        "fullmoon",
        "jacrys",
        "lucide",
        "minyma",
        "orbit",
        "rocketspacer",
        "spartacus",
        "srt",
        "straightforward",
    )
)


def sealed_split(
    person_ids: Iterable[str], families: Iterable[str], seed: int = SEED
) -> tuple[set[str], set[str]]:
    """(sealed people, sealed families): 20% of the people and 3 families,
    drawn with the generator's fixed seed. Sealed documents are those of a
    sealed person in a sealed family; nothing of either is used to develop.
    The families of LATER_FAMILIES are never drawn."""
    ids = sorted(set(person_ids))
    fams = sorted(set(families) - LATER_FAMILIES)
    rng = random.Random(seed)
    people_n = max(1, round(len(ids) * 0.2))
    return set(rng.sample(ids, people_n)), set(rng.sample(fams, min(3, len(fams))))


def stable_rng(*parts: str) -> random.Random:
    """A random generator fixed by the corpus seed and `parts` (a person, a layout)."""
    digest = hashlib.sha256(("|".join((str(SEED),) + parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, **kw)


def iter_people(source: Path, only: Iterable[str] | None) -> Iterator[Person]:
    yield from people(source, only)
