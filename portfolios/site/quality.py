"""The quality gate before a site goes live (SPEC P-6): a safety scan of its
HTML and CSS (no script, nothing fetched from elsewhere) and its weight budget."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser

from django.conf import settings

from .files import SiteFile
from .values import _SCHEME, _URL_JUNK, ALLOWED_SCHEMES

DEFAULT_WEIGHT_BUDGET_BYTES = 51200


class QualityError(Exception):
    """A generated site must not go live; `problems` says why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems) or "quality check failed")


# Attributes that hold a URL the browser may follow or fetch.
URL_ATTRS = frozenset(
    {
        "href",
        "src",
        "srcset",
        "action",
        "formaction",
        "poster",
        "data",
        "background",
        "cite",
        "xlink:href",
        "ping",
        "manifest",
        "longdesc",
        "codebase",
        "archive",
        "icon",
        "lowsrc",
    }
)
FORBIDDEN_TAGS = frozenset(
    {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "portal"}
)
# <link rel> values that only name a page and fetch nothing.
NON_FETCHING_RELS = frozenset({"canonical", "me", "author"})


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[dict[str, str]] = []
        self.style_text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        self.tags.append((tag, a))
        if tag == "script":
            self.scripts.append(a)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style_text.append(data)


def _gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def weight(files: list[SiteFile]) -> int:
    """gzip(index.html) + gzip(style.css), in bytes: what the budget limits."""
    return sum(_gzip_size(f.content) for f in files if f.name in ("index.html", "style.css"))


def _check_url(url: str, *, tag: str, attr: str, rel: str, names: set[str]) -> str | None:
    """A problem with one URL of the page, or None."""
    raw = url
    url = _URL_JUNK.sub("", url)
    where = f"<{tag} {attr}>"
    if not url:
        return f"{where} is empty"
    if url.startswith("//") or url.startswith("\\"):
        return f"{where} points to another site without a scheme ({raw[:80]!r})"
    m = _SCHEME.match(url)
    if m:
        scheme = m.group(1).lower()
        if scheme not in ALLOWED_SCHEMES:
            return f"{where} uses a forbidden kind of link ({scheme}:)"
        if scheme == "mailto":
            return None if tag == "a" and attr == "href" else f"{where} uses a mailto: address"
        if tag == "a" and attr == "href":
            return None
        if tag == "link" and attr == "href" and rel and set(rel.split()) <= NON_FETCHING_RELS:
            return None
        return f"{where} loads something from another site ({raw[:80]!r})"
    path = url.split("#", 1)[0].split("?", 1)[0]
    if not path:  # a link within the page
        return None
    if path.startswith("./"):
        path = path[2:]
    if path not in names:
        return f"{where} links to {raw[:80]!r}, which is not a file of the site"
    return None


_CSS_URL_OPEN = re.compile(r"url\(\s*", re.IGNORECASE)
_CSS_URL_CLOSE = {q: re.compile(re.escape(q) + r"\s*\)") for q in ("'", '"', "")}
_CSS_IMPORT = re.compile(r"@import\b", re.IGNORECASE)


def _css_urls(css: str) -> list[str]:
    """What each url(...) of `css` names, read as `url\\(\\s*(['"]?)(.*?)\\1\\s*\\)`
    reads it, in linear time: that pattern scanned to the end from every
    "url(" left open (SPEC S-4). A closing mark missing after one point is
    missing after every later one, so each is searched for once, not per "url(".
    """
    targets: list[str] = []
    last: dict[str, tuple[int, re.Match | None]] = {}  # per mark: searched from, found
    pos = 0
    while opening := _CSS_URL_OPEN.search(css, pos):
        pos = opening.end()
        quote = css[pos : pos + 1] if css[pos : pos + 1] in ("'", '"') else ""
        for mark in dict.fromkeys((quote, "")):  # quoted first, then up to the first ")"
            body = pos + len(mark)
            since, close = last.get(mark, (-1, None))
            if not 0 <= since <= body or close is not None and close.start() < body:
                close = _CSS_URL_CLOSE[mark].search(css, body)
                last[mark] = (body, close)
            if close is not None:
                targets.append(css[body : close.start()])
                pos = close.end()
                break
    return targets


def _check_css(css: str, where: str, names: set[str]) -> list[str]:
    problems = []
    if _CSS_IMPORT.search(css):
        problems.append(f"{where} imports another stylesheet (@import)")
    for target in _css_urls(css):
        target = target.strip()
        if target.startswith("#") or target.split("?", 1)[0].lstrip("./") in names:
            continue
        problems.append(f"{where} loads {target[:80]!r}, which is not a file of the site")
    if re.search(r"expression\s*\(|javascript:|(?<![\w-])behaviou?r\s*:", css, re.IGNORECASE):
        problems.append(f"{where} contains script")
    return problems


def check_quality(files: list[SiteFile]) -> None:
    """Raise QualityError unless the site is fit to go live (SPEC P-6)."""
    problems: list[str] = []
    by_name = {f.name: f for f in files}
    names = set(by_name)
    index = by_name.get("index.html")
    html = ""
    if index is None:
        problems.append("the site has no index.html")
    else:
        try:
            html = index.content.decode("utf-8")
        except UnicodeDecodeError:
            problems.append("index.html is not UTF-8 text")
        if not html.strip():
            problems.append("index.html is empty")
        elif "<html" not in html.lower() or "<body" not in html.lower():
            problems.append("index.html is not a complete HTML page")

    if html.strip():
        scanner = _Scanner()
        try:
            scanner.feed(html)
            scanner.close()
        except Exception as exc:  # noqa: BLE001 - any parser failure is a problem to report
            problems.append(f"index.html could not be read ({exc})")
        for tag, attrs in scanner.tags:
            if tag in FORBIDDEN_TAGS:
                problems.append(f"index.html contains a <{tag}> element")
            if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
                problems.append("index.html redirects with <meta http-equiv=refresh>")
            for attr, value in attrs.items():
                if attr.startswith("on"):
                    problems.append(f"<{tag}> has an event handler ({attr}), which is script")
                elif attr == "style":
                    problems += _check_css(value, f"a style attribute of <{tag}>", names)
                elif attr in URL_ATTRS:
                    urls = [value]
                    if attr == "srcset":
                        urls = [c.strip().split()[0] for c in value.split(",") if c.strip()]
                    elif attr == "ping":
                        urls = value.split()
                    for url in urls:
                        if problem := _check_url(
                            url, tag=tag, attr=attr, rel=attrs.get("rel", "").lower(), names=names
                        ):
                            problems.append(problem)
        jsonld = [s for s in scanner.scripts if s.get("type", "").lower() == "application/ld+json"]
        others = len(scanner.scripts) - len(jsonld)
        if others:
            problems.append(
                f"index.html contains {others} <script> element(s); no JavaScript is allowed"
            )
        if len(jsonld) > 1:
            problems.append("index.html contains more than one JSON-LD block")
        for s in jsonld:
            if "src" in s:
                problems.append("the JSON-LD block loads an external file")
        for css in scanner.style_text:
            problems += _check_css(css, "a <style> element", names)

    css_file = by_name.get("style.css")
    if css_file is not None:
        problems += _check_css(css_file.content.decode("utf-8", "replace"), "style.css", names)

    budget = int(getattr(settings, "PORTFOLIO_WEIGHT_BUDGET_BYTES", DEFAULT_WEIGHT_BUDGET_BYTES))
    size = weight(files)
    if size >= budget:
        problems.append(
            f"the page is too heavy: {size / 1024:.1f} KB compressed (HTML and CSS), "
            f"the limit is {budget / 1024:.1f} KB"
        )
    if problems:
        raise QualityError(problems)
