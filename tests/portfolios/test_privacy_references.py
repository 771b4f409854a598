"""References, published only when the person ticks them (issue 16 point 2).

References are third-party data (a referee's name and words): off by default,
they are in no public output. Ticked (at publish time, on the manage page, or
`privacy.show_references` on the API), every theme shows them and the public
resume.json and site.zip carry exactly what the page shows; the JSON-LD and
the vCard never do (schema.org's Person has no property for them; a vCard is
the person's own card). Bad input is a 400 with a machine code, nothing changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile

import pytest

from portfolios import publishing, sandbox
from portfolios.models import Portfolio, PortfolioRequest
from portfolios.site import Privacy, SiteFile, public_document, render_index, weight
from portfolios.themes import THEMES
from tests.helpers import finished_job, publish_form, publish_portfolio

pytestmark = pytest.mark.django_db

REFEREE = "Grace Refereeperson"
WORDS = "Ada rebuilt our compiler in a weekend."
MORE = "I would hire her again tomorrow."
QUIET = "Words from a referee who left no name."
DOC = {
    "basics": {"name": "Ada Example", "email": "ada@example.com", "phone": "+44 20 7946 0000"},
    "work": [{"name": "Acme", "position": "Engineer", "startDate": "2020-01"}],
    "references": [
        {"name": REFEREE, "reference": f"{WORDS}\n\n{MORE}"},
        {"reference": QUIET},
    ],
}
REFERENCE_TEXT = (REFEREE, WORDS, MORE, QUIET)
ON = Privacy(references=True)
URL = "/api/v1/portfolios"


def public_outputs(client, slug: str) -> dict[str, str]:
    """Every public output as a stranger reads it: the page (without its JSON-LD),
    the JSON-LD, resume.json, contact.vcf and each file of site.zip."""
    html = client.get(f"/p/{slug}/").content.decode()
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert ld is not None
    out = {
        "page": html.replace(ld.group(0), ""),
        "JSON-LD": json.dumps(json.loads(ld.group(1)), ensure_ascii=False),
        "resume.json": client.get(f"/p/{slug}/resume.json").content.decode(),
        "contact.vcf": client.get(f"/p/{slug}/contact.vcf").content.decode().replace("\r\n ", ""),
    }
    with zipfile.ZipFile(io.BytesIO(client.get(f"/p/{slug}/site.zip").content)) as zf:
        for name in zf.namelist():
            out[f"site.zip/{name}"] = zf.read(name).decode()
    return out


# ------------------------------------------------------------------ the outputs


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_by_default_references_are_in_no_public_output(client, theme):
    p = publish_portfolio(DOC, theme).portfolio
    assert p.show_references is False
    for where, text in public_outputs(client, p.slug).items():
        for value in REFERENCE_TEXT:
            assert value not in text, (value, where)
    assert 'id="references"' not in client.get(f"/p/{p.slug}/").content.decode()
    # Kept in the owner's copy.
    owner = json.loads(sandbox.owner_resume_json(p))
    assert owner["references"] == DOC["references"]


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_ticked_references_are_on_the_page_and_in_resume_json_and_the_zip(client, theme):
    p = publish_portfolio(DOC, theme, privacy={"show_references": True}).portfolio
    outputs = public_outputs(client, p.slug)
    expected = [
        {"name": REFEREE, "reference": f"{WORDS}\n{MORE}"},  # one paragraph a line
        {"reference": QUIET},
    ]
    assert json.loads(outputs["resume.json"])["references"] == expected
    assert json.loads(outputs["site.zip/resume.json"])["references"] == expected
    for where in ("page", "site.zip/index.html"):
        page = outputs[where]
        assert '<section class="section section--references" id="references"' in page, where
        assert '<h2 class="section__title" id="references-title">References</h2>' in page
        assert f"<p>{WORDS}</p><p>{MORE}</p>" in page, where
        assert f'<figcaption class="quote__name">{REFEREE}</figcaption>' in page, where
        assert QUIET in page, where
        assert '<a href="#references">References</a>' in page or theme != "modern", where
    # Not a Person's property, not the person's contact card.
    for where in ("JSON-LD", "contact.vcf", "site.zip/contact.vcf"):
        for value in REFERENCE_TEXT:
            assert value not in outputs[where], (value, where)


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_the_page_made_from_the_public_document_is_the_same_page(theme):
    """public_document keeps exactly the references the page shows, no more."""
    doc = {
        **DOC,
        "references": [
            *DOC["references"],
            {"name": "", "reference": ""},  # shown nowhere: not public either
            {"name": "Name Only"},
            {"name": "X", "reference": "a\n\n\nb", "x-phone": "+1 555 0199"},
        ],
    }
    base = "https://cv.example.org/p/x/"
    public = public_document(doc, ON)
    assert render_index(public, theme, base_url=base, privacy=ON) == render_index(
        doc, theme, base_url=base, privacy=ON
    )
    assert public["references"][2:] == [{"name": "Name Only"}, {"name": "X", "reference": "a\nb"}]
    assert public_document(public, ON) == public
    assert "references" not in public_document(doc)


def test_a_reference_cannot_inject_markup_or_escape_the_theme(client):
    hostile = "</p></blockquote><script>alert(1)</script><img src=https://evil.example/x>"
    doc = {**DOC, "references": [{"name": "<b>Mallory</b>", "reference": hostile}]}
    p = publish_portfolio(doc, privacy={"show_references": True}).portfolio
    page = client.get(f"/p/{p.slug}/").content.decode()
    assert "<script>alert" not in page and "<img" not in page and "<b>Mallory" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_references_too_heavy_for_the_page_are_refused_when_ticked_and_nothing_changes(settings):
    """The quality gate weighs the page as the person's choices show it: the
    document fits the snapshot limit (512 KB) and the page without references
    fits the page budget, the page with them may not."""

    def words(i: int) -> str:  # text gzip cannot shrink much
        return " ".join(hashlib.sha256(f"{i}-{j}".encode()).hexdigest() for j in range(40))

    heavy = {**DOC, "references": [{"name": f"R{i}", "reference": words(i)} for i in range(8)]}
    p = publish_portfolio(heavy).portfolio  # fine while they are not shown
    files = [
        SiteFile(n, (p.sandbox_path / n).read_bytes(), "") for n in ("index.html", "style.css")
    ]
    settings.PORTFOLIO_WEIGHT_BUDGET_BYTES = weight(files) + 1024
    with pytest.raises(publishing.PublishError) as caught:
        publishing.update(p, privacy={"show_references": True})
    assert caught.value.code == "quality_gate"
    p.refresh_from_db()
    assert p.show_references is False
    assert "R0" not in (p.sandbox_path / "index.html").read_text()
    with pytest.raises(publishing.PublishError) as caught:
        publish_portfolio(heavy, privacy={"show_references": True})
    assert caught.value.code == "quality_gate"


# ------------------------------------------------------------------ where it is chosen


def test_the_api_toggles_references_and_the_served_site_follows(api, client):
    body = api.post(URL, {"resume": DOC}, format="json").json()
    assert body["privacy"]["show_references"] is False
    api.credentials(HTTP_X_MANAGE_TOKEN=body["manage_token"])
    pid, slug = body["id"], body["slug"]
    assert REFEREE not in client.get(f"/p/{slug}/").content.decode()
    client.get(f"/p/{slug}/")  # from now on served from memory
    r = api.patch(f"{URL}/{pid}", {"privacy": {"show_references": True}}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["privacy"]["show_references"] is True
    assert r.json()["privacy"]["show_email"] is True  # left out: kept
    assert REFEREE in client.get(f"/p/{slug}/").content.decode()
    assert REFEREE in client.get(f"/p/{slug}/resume.json").content.decode()
    r = api.patch(f"{URL}/{pid}", {"privacy": {"show_references": False}}, format="json")
    assert r.json()["privacy"]["show_references"] is False
    assert REFEREE not in client.get(f"/p/{slug}/").content.decode()
    assert REFEREE not in client.get(f"/p/{slug}/resume.json").content.decode()


def test_publishing_says_references_were_left_out_unless_ticked(api):
    r = api.post(URL, {"resume": DOC}, format="json")
    assert any("Show my references" in n for n in r.json()["notices"])
    # (Another address: an anonymous caller has one live portfolio.)
    r = api.post(
        URL, {"resume": {**DOC, "references": []}}, format="json", REMOTE_ADDR="198.51.100.9"
    )
    assert r.status_code == 201, r.json()
    assert not any("references" in n for n in r.json()["notices"])


def test_publishing_through_the_api_can_tick_them(api):
    r = api.post(URL, {"resume": DOC, "privacy": {"show_references": True}}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["privacy"]["show_references"] is True
    assert not any("references" in n for n in r.json()["notices"])
    p = Portfolio.objects.get(pk=r.json()["id"])
    assert REFEREE in (p.sandbox_path / "index.html").read_text()


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None, [], {}, "on"])
def test_a_choice_that_is_not_a_json_boolean_is_a_400_and_changes_nothing(api, value):
    r = api.post(URL, {"resume": DOC, "privacy": {"show_references": value}}, format="json")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    assert "show_references" in r.json()["fields"]["privacy"]
    assert not Portfolio.objects.exists()
    body = api.post(URL, {"resume": DOC}, format="json").json()
    api.credentials(HTTP_X_MANAGE_TOKEN=body["manage_token"])
    r = api.patch(
        f"{URL}/{body['id']}",
        {"privacy": {"show_email": False, "show_references": value}},
        format="json",
    )
    assert r.status_code == 400 and r["Content-Type"] == "application/json"
    assert r.json()["error"] == "invalid_request"
    assert "show_references" in r.json()["fields"]["privacy"]
    p = Portfolio.objects.get(pk=body["id"])
    assert p.show_references is False and p.show_email is True


def test_privacy_that_is_not_an_object_is_a_400(api):
    body = api.post(URL, {"resume": DOC}, format="json").json()
    api.credentials(HTTP_X_MANAGE_TOKEN=body["manage_token"])
    r = api.patch(f"{URL}/{body['id']}", {"privacy": "show_references"}, format="json")
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_the_schema_documents_the_choice_as_a_boolean(api):
    schema = api.get("/api/schema/?format=json").json()
    props = schema["components"]["schemas"]["Privacy"]["properties"]
    assert props["show_references"]["type"] == "boolean"
    assert "default false" in props["show_references"]["description"]
    patch = schema["paths"]["/api/v1/portfolios/{id}"]["patch"]
    assert "show_references" in patch["description"] and "400" in patch["responses"]


def test_a_waiting_request_keeps_the_choice():
    req = PortfolioRequest.objects.create(
        resume=DOC,
        theme="classic",
        manage_token_hash="h" * 64,
        privacy=publishing.privacy_fields({"show_references": True}, owned=False),
    )
    p = publishing.publish_waiting(req, overflow=False)
    assert p.show_references is True


def test_the_publish_page_offers_the_choice_off_and_applies_it(client):
    job = finished_job(client, "Jane Example\njane@example.com\n")
    page = client.get(f"/jobs/{job.pk}/publish").content.decode()
    box = re.search(r'<input[^>]*name="show_references"[^>]*>', page)
    assert box is not None and "checked" not in box.group(0)
    assert "Show my references" in page
    r = publish_form(client, job, privacy_shown="1", show_references="on")
    assert r.status_code == 303, r.content.decode()[:2000]
    assert Portfolio.objects.get().show_references is True


def test_the_manage_page_ticks_and_unticks_it(client):
    job = finished_job(client, "Jane Example\njane@example.com\n")
    assert publish_form(client, job).status_code == 303
    p = Portfolio.objects.get()
    url = f"/p/{p.slug}/manage/"
    publishing.update(p, resume={**p.resume, "references": [{"name": REFEREE}]})
    assert 'name="show_references"' in client.get(url).content.decode()
    keep = {"show_email": "on", "passphrase_action": "keep"}
    r = client.post(url + "privacy", {**keep, "show_references": "on"})
    assert r.status_code == 303
    p.refresh_from_db()
    assert p.show_references is True and p.show_email is True
    assert REFEREE in (p.sandbox_path / "index.html").read_text()
    client.post(url + "privacy", keep)
    p.refresh_from_db()
    assert p.show_references is False
    assert REFEREE not in (p.sandbox_path / "index.html").read_text()


def test_the_review_form_says_when_references_are_published(client):
    job = finished_job(client, "Jane Example\njane@example.com\n")
    page = client.get(f"/jobs/{job.pk}/review").content.decode()
    assert "References (published only if you tick “Show my references”)" in page
    assert "never published" not in page
