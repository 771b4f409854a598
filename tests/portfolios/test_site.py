"""The site renderer and its quality gate (SPEC P-2, P-6, P-7)."""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
from html.parser import HTMLParser

import pytest

from extraction.resume import normalise
from portfolios.site import (
    QualityError,
    SiteFile,
    check_quality,
    date_range,
    render_preview,
    render_site,
    render_vcard,
    safe_url,
    weight,
)
from portfolios.themes import THEMES
from tests.conftest import each_sample, sample, sample_files

BASE_URL = "https://cv.example.org/p/jane/"
GROUND_TRUTH = [p.name for p in sample_files("dev-*.json")]
FILE_NAMES = ["index.html", "style.css", "resume.json", "contact.vcf", "site.zip"]


def load(name: str) -> dict:
    return normalise(json.loads(sample(name).read_text("utf-8-sig")))[0]


def site(doc: dict, theme: str = "classic") -> dict[str, SiteFile]:
    return {f.name: f for f in render_site(doc, theme, base_url=BASE_URL, slug="jane")}


def html_of(doc: dict, theme: str = "classic") -> str:
    return site(doc, theme)["index.html"].content.decode()


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each <script>."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._script = tag == "script"
        if self._script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._script = False

    def handle_data(self, data):
        if self._script:
            self.scripts[-1] += data

    def urls(self) -> list[str]:
        return [v for _, a in self.tags for k, v in a.items() if k in ("href", "src") and v]

    def meta(self, key: str) -> str | None:
        for tag, a in self.tags:
            if tag == "meta" and key in (a.get("name"), a.get("property")):
                return a.get("content")
        return None


RICH = {
    "basics": {
        "name": "Jane Q. Doe",
        "label": "Staff Engineer",
        "email": "jane@example.com",
        "phone": "+44 20 7946 0958",
        "url": "https://jane.example.com",
        "summary": "Builds calm, fast systems.\nLikes tea.",
        "location": {"city": "London", "countryCode": "GB", "region": "England"},
        "profiles": [
            {"network": "GitHub", "username": "janeq", "url": "https://github.com/janeq"},
            {"network": "LinkedIn", "username": "jane", "url": "https://linkedin.com/in/jane"},
        ],
    },
    "work": [
        {
            "name": "Acme",
            "position": "Staff Engineer",
            "startDate": "2020-01",
            "url": "https://acme.example",
            "summary": "Leads the platform team.",
            "highlights": ["Cut p95 latency by 40%"],
        },
        {
            "name": "Initech",
            "position": "Engineer",
            "startDate": "2016-05-03",
            "endDate": "2019-12",
        },
    ],
    "education": [{"institution": "UCL", "area": "CS", "studyType": "BSc", "endDate": "2016"}],
    "skills": [{"name": "Backend", "level": "Expert", "keywords": ["Python", "Go"]}],
    "projects": [{"name": "Tidy", "url": "https://tidy.example", "description": "A linter."}],
    "languages": [{"language": "English", "fluency": "Native"}],
    "certificates": [{"name": "CKA", "issuer": "CNCF", "date": "2021-03"}],
    "awards": [{"title": "Best Paper", "awarder": "ACM", "date": "2019"}],
    "publications": [{"name": "On Calm", "publisher": "ACM", "releaseDate": "2019-06"}],
    "volunteer": [{"organization": "Code Club", "position": "Mentor", "startDate": "2018"}],
    "interests": [{"name": "Tea", "keywords": ["Oolong"]}],
}


# --------------------------------------------------------------------------- every sample
@pytest.mark.parametrize("name", each_sample(GROUND_TRUTH))
@pytest.mark.parametrize("theme", sorted(THEMES))
def test_every_sample_renders_in_every_theme_and_passes_the_gate(name, theme):
    doc = load(name)
    files = render_site(doc, theme, base_url=BASE_URL, slug="jane")
    assert [f.name for f in files] == FILE_NAMES
    check_quality(files)
    html = files[0].content.decode()
    assert doc["basics"]["name"].split()[0] in html
    if doc.get("work"):
        assert doc["work"][0].get("position", doc["work"][0].get("name", ""))[:10] in html


def test_largest_sample_is_under_the_weight_budget_in_every_theme():
    # Without the samples, load() of the default skips and says why.
    largest = max(GROUND_TRUTH, key=lambda n: len(repr(load(n))), default="dev-01.json")
    doc = load(largest)
    for theme in THEMES:
        files = render_site(doc, theme, base_url=BASE_URL, slug="x")
        size = weight(files)
        expected = sum(
            len(gzip.compress(f.content)) for f in files if f.name in ("index.html", "style.css")
        )
        assert abs(size - expected) < 200
        assert size < 51200, (theme, size)


# --------------------------------------------------------------------------- the page
@pytest.mark.parametrize("theme", sorted(THEMES))
def test_page_has_meta_open_graph_landmarks_and_headings(theme):
    html = html_of(RICH, theme)
    page = Tags(html)
    assert re.search(r'<html lang="en"', html)
    assert page.meta("description").startswith("Staff Engineer — Builds calm")
    assert page.meta("og:title") == "Jane Q. Doe — Staff Engineer"
    assert page.meta("og:type") == "profile"
    assert page.meta("og:url") == BASE_URL
    assert page.meta("og:description")
    assert ("link", {"rel": "canonical", "href": BASE_URL}) in page.tags
    names = [t for t, _ in page.tags]
    for landmark in ("header", "main", "footer"):
        assert names.count(landmark) >= 1
    assert names.count("main") == 1
    headings = [int(t[1]) for t in names if re.fullmatch(r"h[1-6]", t)]
    assert headings[0] == 1 and headings.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(headings, headings[1:], strict=False))
    # No theme shows a picture: basics.image stays off the page (and out of every
    # public file, portfolios/site/public.py), and the gate refuses outside images.
    photo = "https://jane.example.com/me.jpg"
    with_photo = html_of({**RICH, "basics": {**RICH["basics"], "image": photo}}, theme)
    assert "img" not in [t for t, _ in Tags(with_photo).tags] and photo not in with_photo
    for text in (
        "Jan 2020 – Present",
        "May 2016 – Dec 2019",
        "Acme",
        "Initech",
        "UCL",
        "Python",
        "Tidy",
        "English",
        "Native",
        "CKA",
        "Best Paper",
        "On Calm",
        "Code Club",
        "Oolong",
        "London",
        "jane@example.com",
        "+44 20 7946 0958",
    ):
        assert text in html, text
    assert 'href="mailto:jane@example.com"' in html
    assert 'href="https://github.com/janeq"' in html
    assert 'href="contact.vcf"' in html and 'href="resume.json"' in html


def test_description_is_truncated():
    doc = {"basics": {"name": "A", "summary": "word " * 200}}
    description = Tags(html_of(doc)).meta("description")
    assert len(description) <= 160 and description.endswith("…")


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_person_json_ld(theme):
    page = Tags(html_of(RICH, theme))
    assert len(page.scripts) == 1
    (script_tag,) = [a for t, a in page.tags if t == "script"]
    assert script_tag == {"type": "application/ld+json"}
    person = json.loads(page.scripts[0])
    assert person["@context"] == "https://schema.org"
    assert person["@type"] == "Person"
    assert person["name"] == "Jane Q. Doe"
    assert person["jobTitle"] == "Staff Engineer"
    assert person["email"] == "jane@example.com"
    assert person["url"] == "https://jane.example.com"
    assert person["address"]["addressLocality"] == "London"
    assert person["address"]["addressCountry"] == "GB"
    assert person["sameAs"] == ["https://github.com/janeq", "https://linkedin.com/in/jane"]
    assert person["worksFor"] == {
        "@type": "Organization",
        "name": "Acme",
        "url": "https://acme.example",
    }


def test_json_ld_url_falls_back_to_the_site_and_no_current_job_means_no_works_for():
    doc = {"basics": {"name": "A"}, "work": [{"name": "X", "startDate": "2001", "endDate": "2002"}]}
    person = json.loads(Tags(html_of(doc)).scripts[0])
    assert person["url"] == BASE_URL
    assert "worksFor" not in person


def test_dates_in_words():
    assert date_range("2020-01-15", None) == "Jan 2020 – Present"
    assert date_range("2018", "2020") == "2018 – 2020"
    assert date_range("2019-03", "2019-03") == "Mar 2019"
    assert date_range("2019-03", None, ongoing=False) == "Mar 2019"
    assert date_range(None, "2019-11") == "Nov 2019"
    assert date_range("2020-01", None, "de") == "Januar 2020 – heute"  # its own months (test_i18n)


def test_preview_is_the_sites_index_without_the_public_url():
    expected = (
        html_of(RICH, "modern")
        .replace(f'<meta property="og:url" content="{BASE_URL}">\n', "")
        .replace(f'<link rel="canonical" href="{BASE_URL}">\n', "")
    )
    preview = render_preview(RICH, "modern")
    assert preview == expected
    assert preview.startswith("<!doctype html>")
    assert 'href="style.css"' in preview


def test_unknown_theme():
    with pytest.raises(KeyError):
        render_site(RICH, "nope", base_url=BASE_URL, slug="x")


# --------------------------------------------------------------------------- escaping
EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&</script><!--"


def evil_doc() -> dict:
    doc = json.loads(json.dumps(RICH))
    doc["basics"]["name"] = EVIL
    doc["basics"]["label"] = EVIL
    doc["basics"]["summary"] = EVIL
    doc["basics"]["location"]["city"] = EVIL
    doc["basics"]["profiles"][0]["username"] = EVIL
    doc["basics"]["profiles"][0]["network"] = EVIL
    for section in (
        "work",
        "education",
        "skills",
        "projects",
        "languages",
        "certificates",
        "awards",
        "publications",
        "volunteer",
        "interests",
    ):
        for item in doc[section]:
            for key, value in list(item.items()):
                if key in ("url", "startDate", "endDate", "date", "releaseDate"):
                    continue
                item[key] = [EVIL] if isinstance(value, list) else EVIL
    return doc


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_html_in_every_text_field_is_escaped(theme):
    html = html_of(evil_doc(), theme)
    page = Tags(html)
    assert [t for t, _ in page.tags].count("script") == 1
    assert "img" not in [t for t, _ in page.tags]
    assert not any(k.startswith("on") for _, a in page.tags for k in a)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # The JSON-LD block cannot be broken out of and still holds the value.
    assert html.count("</script>") == 1
    person = json.loads(page.scripts[0])
    assert person["name"] == EVIL
    assert "<" not in page.scripts[0] and ">" not in page.scripts[0]


BAD_URLS = [
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "file:///etc/passwd",
]


@pytest.mark.parametrize("theme", sorted(THEMES))
@pytest.mark.parametrize("bad", BAD_URLS)
def test_dangerous_urls_never_reach_an_href(theme, bad):
    doc = json.loads(json.dumps(RICH))
    doc["basics"]["url"] = bad
    doc["basics"]["email"] = bad
    doc["basics"]["profiles"][0]["url"] = bad
    for section in ("work", "projects", "certificates", "publications", "volunteer", "education"):
        for item in doc[section]:
            item["url"] = bad
    files = render_site(doc, theme, base_url=BASE_URL, slug="x")
    html = files[0].content.decode()
    for url in Tags(html).urls():
        assert url.startswith(("https://", "http://", "mailto:", "#")) or url in FILE_NAMES, url
        assert "evil" not in url and "script" not in url.lower()
    assert bad.strip().lower() not in html.lower()
    assert "evil.example" not in html
    check_quality(files)
    person = json.loads(Tags(html).scripts[0])
    assert "script" not in json.dumps(person.get("sameAs", []))


def test_safe_url():
    assert safe_url("https://x.example/a?b=c") == "https://x.example/a?b=c"
    assert safe_url("mailto:a@b.example") == "mailto:a@b.example"
    for bad in [*BAD_URLS, "https:/x", "https://", "mailto:", "", None, 3, "relative/path"]:
        assert safe_url(bad) == "", bad


# --------------------------------------------------------------------------- other files
def test_resume_json_is_the_document_as_the_page_shows_it_indented():
    """RICH holds only fields the page shows; the one day of a date does not
    show ("May 2016"), so it is not public either (tests/portfolios/test_privacy.py)."""
    files = site(RICH)
    text = files["resume.json"].content.decode("utf-8")
    expected = json.loads(json.dumps(RICH))
    expected["work"][1]["startDate"] = "2016-05"
    assert json.loads(text) == expected
    assert '\n  "basics"' in text
    assert files["resume.json"].content_type == "application/json"


def test_vcard_has_the_fields_and_escapes_them():
    doc = json.loads(json.dumps(RICH))
    doc["basics"]["name"] = "Jane Doe"
    doc["basics"]["label"] = "Engineer, Writer; Speaker\nand \\ more"
    doc["basics"]["location"]["city"] = "Stratford, upon; Avon"
    card = site(doc)["contact.vcf"].content.decode()
    assert card.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert card.endswith("END:VCARD\r\n")
    unfolded = card.replace("\r\n ", "")
    lines = unfolded.split("\r\n")
    assert "FN:Jane Doe" in lines
    assert "N:Doe;Jane;;;" in lines
    assert "EMAIL;TYPE=INTERNET:jane@example.com" in lines
    assert "TEL;TYPE=VOICE:+44 20 7946 0958" in lines
    assert "URL:https://jane.example.com" in lines
    assert "URL:https://github.com/janeq" in lines
    assert "TITLE:Engineer\\, Writer\\; Speaker\\nand \\\\ more" in lines
    assert "ADR;TYPE=WORK:;;;Stratford\\, upon\\; Avon;England;;GB" in lines
    assert all(len(line.encode()) <= 75 for line in card.split("\r\n"))


def test_vcard_folds_long_lines_without_splitting_characters():
    doc = {"basics": {"name": "Zoë " + "Ünïcödé " * 30}}
    card = render_vcard(doc)
    for line in card.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    assert card.replace("\r\n ", "").split("\r\n")[2] == "FN:" + doc["basics"]["name"].strip()


def test_vcard_drops_dangerous_urls():
    doc = {"basics": {"name": "A B", "url": "javascript:alert(1)"}}
    assert "javascript" not in render_vcard(doc)


def test_zip_contains_the_other_files():
    files = site(RICH)
    with zipfile.ZipFile(io.BytesIO(files["site.zip"].content)) as zf:
        assert sorted(zf.namelist()) == sorted(FILE_NAMES[:-1])
        for name in FILE_NAMES[:-1]:
            assert zf.read(name) == files[name].content
    assert files["site.zip"].content_type == "application/zip"


def test_content_types():
    files = site(RICH)
    assert files["index.html"].content_type.startswith("text/html")
    assert files["style.css"].content_type.startswith("text/css")
    assert files["contact.vcf"].content_type.startswith("text/vcard")


# --------------------------------------------------------------------------- the gate
def _with_index(html: str) -> list[SiteFile]:
    files = render_site(RICH, "classic", base_url=BASE_URL, slug="x")
    files[0] = SiteFile("index.html", html.encode(), "text/html; charset=utf-8")
    return files


def _problems(files: list[SiteFile]) -> list[str]:
    with pytest.raises(QualityError) as info:
        check_quality(files)
    assert info.value.problems
    return info.value.problems


def _inject(snippet: str) -> list[SiteFile]:
    html = html_of(RICH)
    return _with_index(html.replace("</main>", snippet + "</main>"))


def test_gate_accepts_a_good_site():
    check_quality(render_site(RICH, "minimal", base_url=BASE_URL, slug="x"))


@pytest.mark.parametrize(
    "snippet",
    [
        '<link rel="stylesheet" href="https://cdn.example/x.css">',
        '<link rel="stylesheet" href="//cdn.example/x.css">',
        '<script src="https://cdn.example/x.js"></script>',
        "<script>alert(1)</script>",
        '<img src="https://tracker.example/p.gif" alt="">',
        '<img src="data:image/png;base64,AAAA" alt="">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" java&#9;script:alert(1)">x</a>',
        '<a href="data:text/html,hi">x</a>',
        '<a href="vbscript:x">x</a>',
        '<a href="//evil.example/">x</a>',
        '<a href="other.html">x</a>',
        '<p onclick="alert(1)">x</p>',
        '<iframe src="resume.json"></iframe>',
        "<style>@import url(https://fonts.example/f.css);</style>",
        '<p style="background:url(https://tracker.example/p.gif)">x</p>',
    ],
)
def test_gate_rejects(snippet):
    assert _problems(_inject(snippet))


def test_gate_rejects_an_external_stylesheet_in_plain_words():
    problems = _problems(_inject('<link rel="stylesheet" href="https://cdn.example/x.css">'))
    assert any("another site" in p for p in problems)


def test_gate_rejects_a_javascript_link_in_plain_words():
    problems = _problems(_inject('<a href="javascript:alert(1)">x</a>'))
    assert any("javascript:" in p for p in problems)


def test_gate_rejects_a_web_font_in_the_stylesheet():
    files = render_site(RICH, "classic", base_url=BASE_URL, slug="x")
    files[1] = SiteFile("style.css", b"@font-face{src:url(https://f.example/a.woff2)}", "text/css")
    assert _problems(files)


def test_gate_rejects_an_empty_index():
    problems = _problems(_with_index(""))
    assert any("empty" in p for p in problems)
    assert _problems(_with_index("   \n"))


def test_gate_rejects_a_missing_index():
    files = render_site(RICH, "classic", base_url=BASE_URL, slug="x")
    assert _problems(files[1:])


def test_gate_rejects_an_over_budget_page(settings):
    files = render_site(RICH, "modern", base_url=BASE_URL, slug="x")
    settings.PORTFOLIO_WEIGHT_BUDGET_BYTES = weight(files)
    problems = _problems(files)
    assert any("too heavy" in p for p in problems)
    settings.PORTFOLIO_WEIGHT_BUDGET_BYTES = weight(files) + 1
    check_quality(files)


def test_gate_allows_profile_links_mailto_fragments_and_site_files():
    check_quality(
        _inject(
            '<a href="https://github.com/x">gh</a><a href="mailto:a@b.example">m</a>'
            '<a href="#work">w</a><a href="./resume.json">j</a><a href="site.zip">z</a>'
        )
    )
