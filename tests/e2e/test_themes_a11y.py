"""Every theme in a real browser (SPEC P-6): axe-core finds no serious or critical
violation in light or dark mode, nothing scrolls sideways at 375 and 320 px, no
request leaves the site, and the print stylesheet applies.

The site is written to a temporary folder and served on 127.0.0.1; axe-core is
the vendored copy in tests/vendor (see its README)."""

from __future__ import annotations

import functools
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from extraction.resume import normalise
from portfolios.site import Privacy, render_site
from portfolios.themes import THEMES
from tests.conftest import sample
from tests.helpers import axe_violations

pytestmark = pytest.mark.browser
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherung" * 2


def rich_resume() -> dict:
    """dev-01 (every section) plus the things that break narrow layouts."""
    doc = normalise(json.loads(sample("dev-01.json").read_text("utf-8-sig")))[0]
    doc["basics"]["summary"] += f"\n{LONG_WORD}"
    doc["basics"]["profiles"].append(
        {
            "network": "Blog",
            "username": "a-very-long-user-name-without-any-spaces-at-all-" * 2,
            "url": "https://blog.example.org/" + "x" * 120,
        }
    )
    doc["work"][0]["highlights"] = ["https://example.org/" + "a-long-path/" * 12]
    # References, shown because the person ticked them (they are off by default).
    doc["references"] = [
        *(doc.get("references") or []),
        {"name": "Dr. Erika Mustermann", "reference": f"Zwei Absätze.\n\n{LONG_WORD}"},
        {"reference": "Ohne Namen."},
    ]
    return doc


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_root(tmp_path_factory):
    """All themes rendered into /<theme>/ of one folder, served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("themes")
    doc = rich_resume()
    for theme in THEMES:
        folder = root / theme
        folder.mkdir()
        files = render_site(
            doc,
            theme,
            base_url=f"https://cv.example.org/p/{theme}/",
            slug=theme,
            lang="de",
            privacy=Privacy(references=True),
        )
        for f in files:
            (folder / f.name).write_bytes(f.content)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def open_theme(page, site_root: str, theme: str) -> list[str]:
    """Open a theme's page; returns the (live) list of every URL it requests."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{site_root}/{theme}/index.html", wait_until="load")
    return requests


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("theme", sorted(THEMES))
def test_axe_finds_no_serious_violation(page, site_root, theme, scheme):
    page.emulate_media(color_scheme=scheme)
    open_theme(page, site_root, theme)
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") is (scheme == "dark")
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", [375, 320])
@pytest.mark.parametrize("theme", sorted(THEMES))
def test_no_horizontal_scroll_on_small_screens(page, site_root, theme, width):
    page.set_viewport_size({"width": width, "height": 720})
    open_theme(page, site_root, theme)
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_no_request_leaves_the_site(page, site_root, theme):
    requests = open_theme(page, site_root, theme)
    page.wait_for_load_state("networkidle")
    assert requests, "the page itself was requested"
    outside = [u for u in requests if not u.startswith(site_root + "/")]
    assert outside == []
    # The stylesheet is the site's own and it applied.
    assert any(u.endswith(f"/{theme}/style.css") for u in requests)
    assert page.evaluate("document.styleSheets.length") == 1
    assert page.evaluate("document.scripts.length") == 1  # the JSON-LD block only
    assert page.evaluate("document.scripts[0].type") == "application/ld+json"


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_page_has_structure_focus_styles_and_language(page, site_root, theme):
    open_theme(page, site_root, theme)
    assert page.evaluate("document.documentElement.lang") == "de"
    for landmark in ("header", "main", "footer"):
        assert page.locator(landmark).count() >= 1
    assert page.locator("h1").count() == 1
    # The skip link is the first stop and is visible with an outline when focused.
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "(() => { const e = document.activeElement, s = getComputedStyle(e),"
        " r = e.getBoundingClientRect();"
        " return {cls: e.className, outline: s.outlineStyle, top: r.top, bottom: r.bottom}; })()"
    )
    assert focused["cls"] == "skip-link"
    assert focused["bottom"] > 0
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle + ' ' +"
        " getComputedStyle(document.activeElement).outlineWidth"
    )
    assert not outline.startswith("none"), outline


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_print_stylesheet(page, site_root, theme):
    open_theme(page, site_root, theme)
    page.emulate_media(media="print", color_scheme="dark")
    body_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert body_bg in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    nav_hidden = page.evaluate(
        "[...document.querySelectorAll('nav, .skip-link')]"
        ".every(e => getComputedStyle(e).display === 'none')"
    )
    assert nav_hidden
    # A link in the text spells its address out on paper; the link on an
    # entry's title or employer is a name and stays a (PDF) link only.
    after = (
        "[...document.querySelectorAll('a[href^=\"http\"]')]"
        ".filter(a => a.offsetParent !== null && %s a.closest('.entry__head'))"
        ".map(a => getComputedStyle(a, '::after').content)"
    )
    spelled = page.evaluate(after % "!")
    assert spelled and all("http" in c or "attr(href)" in c for c in spelled), spelled
    names = page.evaluate(after % "")
    assert all(c in ("none", "normal", '""') for c in names), names
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
