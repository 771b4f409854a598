"""Public outputs carry exactly what the page shows (issue 10 item 12, SPEC P-7, S).

The attack: a stranger fetches /p/<slug>/resume.json, site.zip, contact.vcf
and reads the page's JSON-LD, looking for what the owner did not put on
their page (street address, postal code, references, anything else the
themes never show). The owner's own download still carries everything.

The document is generated from the shipped JSON Resume schema, so every field
the schema knows is filled with its own distinctive token: a field added to
the schema later is covered without editing this file.
"""

from __future__ import annotations

import io
import json
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from extraction.resume import SCHEMA_PATH
from portfolios import sandbox
from portfolios.site import person_jsonld, public_document, render_index, render_site
from portfolios.themes import THEMES
from tests.helpers import publish_portfolio

pytestmark = pytest.mark.django_db

DATE_FIELDS = ("startDate", "endDate", "date", "releaseDate")


def every_field_document() -> tuple[dict, dict[str, str], dict[str, str]]:
    """(document, token -> field path, full date -> field path): every leaf of the
    schema filled, each text with a token no other field contains."""
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    definitions = schema.get("definitions", {})
    tokens: dict[str, str] = {}
    dates: dict[str, str] = {}

    def fill(node: dict, path: str, key: str) -> object:
        if "$ref" in node:
            node = definitions[node["$ref"].rsplit("/", 1)[1]]
        if "properties" in node:
            return {k: fill(v, f"{path}.{k}", k) for k, v in node["properties"].items()}
        if node.get("type") == "array":
            return [fill(node.get("items", {}), f"{path}[0]", key)]
        n = len(tokens) + len(dates)
        if key in DATE_FIELDS:
            # A day no month shares, so the day can be looked for on its own.
            value = f"{1901 + n:04d}-03-27"
            dates[value] = path
            return value
        token = f"Qz{n:03d}k"
        tokens[token] = path
        if node.get("format") == "email":
            return f"{token}@zq.example"
        if node.get("format") == "uri" or key in ("url", "image"):
            return f"https://zq.example/{token}"
        return token

    doc = fill(schema, "", "")
    return doc, tokens, dates


class VisibleText(HTMLParser):
    """What a visitor sees in <body>: its text, and the address of every link
    (shown on hover, and printed beside the link by every theme's print
    stylesheet). The JSON-LD script, meta tags and the head are not shown."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.jsonld: list[str] = []
        self._in_body = self._in_script = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self._in_body = True
        self._in_script = tag in ("script", "style")
        if tag == "script":
            self.jsonld.append("")
        if self._in_body and tag == "a":
            self.parts += [v or "" for k, v in attrs if k == "href"]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in_script = False
        if tag == "body":
            self._in_body = False

    def handle_data(self, data):
        if self._in_script:
            if self.jsonld:
                self.jsonld[-1] += data
        elif self._in_body:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return "\n".join(self.parts)


def unfold(vcard: str) -> str:
    """A vCard with its 75-octet folds undone, so no token is split (RFC 6350 3.2)."""
    return vcard.replace("\r\n ", "")


def public_outputs(client, slug: str) -> tuple[str, dict[str, str]]:
    """(visible text of the page, {where: text}) of everything served publicly."""
    html = client.get(f"/p/{slug}/").content.decode()
    assert html, "the page was not served"
    page = VisibleText(html)
    assert len(page.jsonld) == 1
    outputs = {
        "index.html": html,
        "JSON-LD": json.dumps(json.loads(page.jsonld[0]), ensure_ascii=False),
        "resume.json": client.get(f"/p/{slug}/resume.json").content.decode(),
        "contact.vcf": unfold(client.get(f"/p/{slug}/contact.vcf").content.decode()),
    }
    archive = client.get(f"/p/{slug}/site.zip").content
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        for name in zf.namelist():
            text = zf.read(name).decode("utf-8")
            outputs[f"site.zip/{name}"] = unfold(text) if name.endswith(".vcf") else text
    return page.text, outputs


# --------------------------------------------------------------------------- the attack
@pytest.mark.parametrize("theme", sorted(THEMES))
def test_no_public_output_carries_a_field_the_page_does_not_show(client, theme):
    doc, tokens, _ = every_field_document()
    portfolio = publish_portfolio(doc, theme, client="privacy-test", limit=5).portfolio
    visible, outputs = public_outputs(client, portfolio.slug)

    leaks = [
        f"{tokens[t]} in {where}"
        for t in tokens
        for where, text in outputs.items()
        if t in text and t not in visible
    ]
    assert not leaks, "shown nowhere on the page but published:\n" + "\n".join(leaks)

    # The fields issue 10 names, by name: nowhere public at all.
    private = [
        t
        for t, path in tokens.items()
        if path.endswith((".address", ".postalCode")) or path.startswith(".references")
    ]
    assert len(private) == 4  # address, postalCode, references[0].name / .reference
    for t in private:
        for where, text in outputs.items():
            assert t not in text, f"{tokens[t]} is published in {where}"

    # Not vacuous: what the page does show is in the public document and card.
    shown = {path: t for t, path in tokens.items()}
    for path in (".basics.name", ".basics.location.city", ".work[0].position", ".skills[0].name"):
        assert shown[path] in visible and shown[path] in outputs["resume.json"], path
    assert shown[".basics.email"] in outputs["contact.vcf"]
    assert shown[".basics.phone"] in outputs["contact.vcf"]


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_dates_are_public_only_as_precisely_as_the_page_shows_them(client, theme):
    """The page says "Mar 1935"; the day of the month is not published either."""
    doc, _, dates = every_field_document()
    portfolio = publish_portfolio(doc, theme, client="privacy-test", limit=5).portfolio
    _, outputs = public_outputs(client, portfolio.slug)
    public = json.loads(outputs["resume.json"])
    assert public["work"][0]["startDate"] == doc["work"][0]["startDate"][:7]
    for day, path in dates.items():
        for where, text in outputs.items():
            assert day not in text, f"{path} ({day}) is published in {where} to the day"


# --------------------------------------------------------------------------- the owner
def test_the_owners_download_carries_every_field():
    doc, tokens, dates = every_field_document()
    portfolio = publish_portfolio(doc, "modern", client="privacy-test", limit=5).portfolio
    stored = json.dumps(portfolio.resume, ensure_ascii=False)
    kept = [t for t in [*tokens, *dates] if t in stored]
    assert len(kept) > 60  # every field the stored document keeps (meta, $schema are not)

    full = sandbox.owner_resume_json(portfolio)
    assert json.loads(full) == portfolio.resume
    with zipfile.ZipFile(io.BytesIO(sandbox.owner_archive(portfolio))) as zf:
        assert sorted(zf.namelist()) == ["contact.vcf", "index.html", "resume.json", "style.css"]
        assert json.loads(zf.read("resume.json")) == portfolio.resume
        card = unfold(zf.read("contact.vcf").decode())
    for t in kept:
        assert t in full.decode(), tokens.get(t) or dates.get(t)
    location = portfolio.resume["basics"]["location"]
    assert location["address"] in card and location["postalCode"] in card
    references = portfolio.resume["references"][0]
    assert references["name"] in full.decode() and references["reference"] in full.decode()

    # One entry point for the manage page and the API: the same three downloads.
    assert sandbox.owner_file(portfolio, "resume.json") == (full, "application/json; charset=utf-8")
    archive, content_type = sandbox.owner_file(portfolio, "site.zip")
    assert content_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert json.loads(zf.read("resume.json")) == portfolio.resume
    vcard, content_type = sandbox.owner_file(portfolio, "contact.vcf")
    assert content_type.startswith("text/vcard") and unfold(vcard.decode()) == card
    assert sandbox.owner_file(portfolio, "index.html") is None
    assert sandbox.owner_file(portfolio, "../settings.py") is None


# --------------------------------------------------------------------------- the rules
@pytest.mark.parametrize("theme", sorted(THEMES))
def test_the_page_made_from_the_public_document_is_the_same_page(theme):
    """Nothing the page shows is missing from the public document."""
    doc, _, _ = every_field_document()
    base = "https://cv.example.org/p/x/"
    assert render_index(public_document(doc), theme, base_url=base) == render_index(
        doc, theme, base_url=base
    )


def test_work_description_is_public_only_where_the_page_shows_it():
    with_summary = {"name": "Acme", "summary": "Shown.", "description": "Hidden."}
    without = {"name": "Acme", "description": "Shown instead."}
    public = public_document({"basics": {"name": "A"}, "work": [with_summary, without]})
    assert public["work"] == [
        {"name": "Acme", "summary": "Shown."},
        {"name": "Acme", "description": "Shown instead."},
    ]


def test_entries_the_page_drops_are_not_public():
    doc = {
        "basics": {"name": "A", "email": "not an address", "url": "javascript:alert(1)"},
        "work": [{"summary": "An entry with no title or employer is not shown."}],
        "skills": [{"level": "Expert", "keywords": ["nameless"]}],
        "basics_extra": "unknown keys are not shown",
    }
    assert public_document(doc) == {"basics": {"name": "A"}}


def test_the_site_files_are_made_from_the_public_document():
    doc, _, _ = every_field_document()
    files = {f.name: f.content for f in render_site(doc, "classic", base_url="", slug="x")}
    assert json.loads(files["resume.json"]) == public_document(doc)
    with zipfile.ZipFile(io.BytesIO(files["site.zip"])) as zf:
        assert zf.read("resume.json") == files["resume.json"]
        assert zf.read("contact.vcf") == files["contact.vcf"]


def test_a_sandbox_built_before_this_rule_is_rebuilt_before_it_is_served(client, settings):
    """Sandboxes written by an older release still hold the whole document;
    the first request rebuilds them instead of serving them."""
    doc, tokens, _ = every_field_document()
    portfolio = publish_portfolio(doc, "minimal", client="privacy-test", limit=5).portfolio
    address = portfolio.resume["basics"]["location"]["address"]
    # What an older release wrote: the whole document, and a manifest of ETags only.
    old = json.dumps(portfolio.resume).encode()
    (portfolio.sandbox_path / "resume.json").write_bytes(old)
    (portfolio.sandbox_path / ".etags.json").write_text(json.dumps({"resume.json": '"old"'}))

    r = client.get(f"/p/{portfolio.slug}/resume.json")
    assert r.status_code == 200
    assert address.encode() not in r.content
    assert json.loads(r.content) == public_document(portfolio.resume)
    assert address.encode() not in (portfolio.sandbox_path / "resume.json").read_bytes()


def test_the_public_document_of_the_public_document_is_itself():
    doc, _, _ = every_field_document()
    public = public_document(doc)
    assert public_document(public) == public


def test_json_ld_never_carries_a_street_or_postal_code_whatever_it_is_given():
    doc, _, _ = every_field_document()
    address = person_jsonld(doc)["address"]
    assert set(address) == {"@type", "addressLocality", "addressRegion", "addressCountry"}


def test_two_first_visits_to_an_outdated_sandbox_at_once_both_get_the_page(client, monkeypatch):
    """One rebuild finishes between the other's two renames: the slower one
    moves the finished folder away and puts its own in place, no error."""
    portfolio = publish_portfolio(
        every_field_document()[0], "classic", client="privacy-test", limit=5
    ).portfolio
    (portfolio.sandbox_path / ".etags.json").write_text("{}")  # an older release's
    real_rename = Path.rename
    raced = []

    def rename(self, target):
        if Path(target) == portfolio.sandbox_path and not raced:
            raced.append(self)
            sandbox.build(portfolio)  # the other visit's rebuild, complete
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    r = client.get(f"/p/{portfolio.slug}/")
    assert raced and r.status_code == 200 and portfolio.resume["basics"]["name"] in r.text
    monkeypatch.undo()
    folders = portfolio.sandbox_path.parent.iterdir()
    leftovers = [p.name for p in folders if str(portfolio.pk) in p.name]
    assert leftovers == [portfolio.sandbox_path.name]
    assert client.get(f"/p/{portfolio.slug}/resume.json").status_code == 200
