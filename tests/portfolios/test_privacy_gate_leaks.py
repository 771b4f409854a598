"""Nothing of a passphrase-protected site's person before the passphrase
(issue 15 point 5): every way a stranger can reach a gated site, the answer
names nobody. Beside test_privacy_passphrase.py (the gate itself), these are
the side doors: the archived page, the site's address, the gate page's head,
HEAD and conditional requests, a sandbox built before the person's latest
choice, the publisher's own page and the API.
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import caches

from portfolios import gate, publishing, sandbox
from portfolios.models import Portfolio, PortfolioRequest, State
from portfolios.views import public
from quotas import ratelimits
from tests.helpers import finished_job, publish_form, publish_portfolio

pytestmark = pytest.mark.django_db

DOC = {
    "basics": {
        "name": "Ada Secretperson",
        "label": "Quantum Welder",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0958",
    },
    "work": [{"name": "Hushco", "position": "Engineer", "startDate": "2020-01"}],
}
PASS = "correct horse battery"
FILES = ("", "style.css", "resume.json", "contact.vcf", "site.zip", "index.html")
# What a stranger must not learn, in any case.
# The phone whole, spaced or not: four digits alone turn up in random ids.
SECRETS = ("secretperson", "ada@example.com", "quantum welder", "hushco", "7946 0958", "79460958")


@pytest.fixture(autouse=True)
def _fast_hashes_fresh_limits(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ratelimits.reset_breakers()
    caches[settings.RATELIMIT_USE_CACHE].clear()
    yield
    ratelimits.reset_breakers()


def gated(**privacy):
    return publish_portfolio(DOC, privacy={"passphrase": PASS, **privacy}).portfolio


def names_nobody(response, slug: str = "") -> None:
    """Neither the body nor any header of `response` says anything of Ada
    (but the site's address `slug`, given when it was made before the passphrase:
    a passphrase added later keeps the address)."""
    text = response.content.decode("utf-8", "replace").lower()
    text += "\n" + "\n".join(f"{k}: {v}" for k, v in response.items()).lower()
    text = text.replace(slug, "<slug>") if slug else text
    for secret in SECRETS:
        assert secret not in text, secret


def passed_client(client_class, p):
    """A visitor who gave the passphrase, and was served the site once (so this
    process serves it from memory from now on)."""
    friend = client_class()
    assert friend.post(f"/p/{p.slug}/unlock", {"passphrase": PASS}).status_code == 303
    assert friend.get(f"/p/{p.slug}/").status_code == 200
    return friend


def test_an_archived_gated_site_names_nobody(client):
    p = gated()
    passed_client(client.__class__, p)
    publishing.archive(p)
    for name in FILES:
        r = client.get(f"/p/{p.slug}/{name}")
        assert r.status_code == 410, name
        names_nobody(r)
        assert "This portfolio is no longer online" in r.content.decode()
        assert r["Cache-Control"] == "no-store" and "ETag" not in r
        assert r["X-Robots-Tag"] == "noindex, nofollow"
    # Nor while it is being taken offline.
    Portfolio.objects.filter(pk=p.pk).update(state=State.CLEANUP)
    names_nobody(client.get(f"/p/{p.slug}/"))


def test_an_archived_open_site_still_says_whose_it_was(client):
    p = publish_portfolio(DOC, privacy={"allow_indexing": True}).portfolio
    publishing.archive(p)
    r = client.get(f"/p/{p.slug}/")
    assert r.status_code == 410
    assert "Ada Secretperson's portfolio is no longer online" in r.content.decode()
    assert "X-Robots-Tag" not in r


def test_a_gated_sites_address_names_nobody():
    assert "secretperson" in publish_portfolio(DOC).portfolio.slug
    p = gated()
    assert "secretperson" not in p.slug and p.slug.startswith("portfolio-")
    # Not guessable by trying every address: 64 random bits.
    assert re.fullmatch(r"portfolio-[0-9a-f]{16}", p.slug), p.slug


def test_a_gated_site_published_from_the_waiting_list_has_an_address_naming_nobody():
    req = PortfolioRequest.objects.create(
        resume=DOC,
        theme="classic",
        manage_token_hash="h" * 64,
        privacy={"passphrase_hash": gate.make_hash(PASS)},
    )
    p = publishing.publish_waiting(req, overflow=False)
    assert "secretperson" not in p.slug and p.passphrase_hash


@pytest.mark.parametrize("from_memory", [False, True])
def test_the_gate_page_names_nobody_in_body_title_meta_or_headers(client, from_memory):
    p = gated()
    if from_memory:
        passed_client(client.__class__, p)
        assert public._served.ids.get(p.slug) == str(p.pk)
    for name in FILES:
        r = client.get(f"/p/{p.slug}/{name}")
        assert r.status_code == 403, name
        names_nobody(r)
        body = r.content.decode()
        assert "<title>Passphrase needed" in body
        assert 'property="og:' not in body and "application/ld+json" not in body
        assert "ETag" not in r and "X-Accel-Redirect" not in r


@pytest.mark.parametrize("accel", ["", "/_sandboxes/"])
def test_head_and_conditional_requests_do_not_pass_the_gate(client, settings, accel):
    settings.PORTFOLIO_ACCEL_REDIRECT_PREFIX = accel
    p = gated()
    friend = passed_client(client.__class__, p)
    for name in FILES:
        etag = friend.get(f"/p/{p.slug}/{name}")["ETag"]
        for r in (
            client.head(f"/p/{p.slug}/{name}"),
            # A stranger holding the real ETag (a copy seen before the passphrase
            # was set) must not learn that the file is unchanged.
            client.get(f"/p/{p.slug}/{name}", HTTP_IF_NONE_MATCH=etag),
            client.head(f"/p/{p.slug}/{name}", HTTP_IF_NONE_MATCH=etag),
        ):
            assert r.status_code == 403, name
            assert "ETag" not in r and "X-Accel-Redirect" not in r
            assert r["Cache-Control"] == "no-store"
            names_nobody(r)


def test_a_passphrase_set_while_the_site_is_being_made_gates_it(client):
    """go_live used to build from the caller's copy of the row: a passphrase
    saved meanwhile never reached the sandbox's manifest, and the in-memory
    serving (which trusts the manifest) then served the site to everyone."""
    p = publish_portfolio(DOC).portfolio
    Portfolio.objects.filter(pk=p.pk).update(state=State.CREATING)
    stale = Portfolio.objects.get(pk=p.pk)
    publishing.update(Portfolio.objects.get(pk=p.pk), privacy={"passphrase": PASS})
    publishing.go_live(stale)
    p.refresh_from_db()
    assert "secretperson" in p.slug  # made before the passphrase
    assert p.state == State.ACTIVE and p.passphrase_hash
    manifest = json.loads((p.sandbox_path / sandbox.MANIFEST).read_text())
    assert manifest["gate"] == gate.token_of(p.pk, p.passphrase_hash)
    passed_client(client.__class__, p)
    for name in FILES:
        r = client.get(f"/p/{p.slug}/{name}")
        assert r.status_code == 403, name
        names_nobody(r, p.slug)


def test_a_sandbox_whose_manifest_lacks_the_gate_is_rebuilt_before_it_is_served(client):
    """A sandbox written before the passphrase reached it (an older release, a
    race) is never served as it is: the view rebuilds it, so the in-memory
    serving never learns an ungated copy of a gated site."""
    p = gated()
    ungated = Portfolio.objects.get(pk=p.pk)
    ungated.passphrase_hash = ""
    sandbox.build(ungated)  # the site's files under a manifest that says "no gate"
    passed_client(client.__class__, p)
    manifest = json.loads((p.sandbox_path / sandbox.MANIFEST).read_text())
    assert manifest["gate"] == gate.token_of(p.pk, p.passphrase_hash)
    for name in FILES:
        r = client.get(f"/p/{p.slug}/{name}")
        assert r.status_code == 403, name
        names_nobody(r)


def test_the_publishers_page_is_for_the_publisher_only(client):
    p = gated(allow_indexing=False)
    Portfolio.objects.filter(pk=p.pk).update(email="ada@example.com")
    r = client.get(f"/p/{p.slug}/published")
    assert r.status_code == 404
    names_nobody(r)


def test_the_api_tells_a_stranger_nothing(client):
    p = gated()
    for path in (
        f"/api/v1/portfolios/{p.pk}",
        f"/api/v1/portfolios/{p.pk}/download/resume.json",
        f"/api/v1/portfolios/{p.pk}/download/contact.vcf",
        f"/api/v1/portfolios/{p.pk}/download/site.zip",
        f"/api/v1/portfolios/{p.pk}/pdf",
    ):
        r = client.get(path)
        assert r.status_code == 404, path
        names_nobody(r)
    r = client.get("/api/v1/portfolios")
    assert r.status_code == 200 and r.json()["count"] == 0
    r = client.patch(
        f"/api/v1/portfolios/{p.pk}",
        {"privacy": {"passphrase": None}},
        content_type="application/json",
    )
    assert r.status_code == 404
    p.refresh_from_db()
    assert p.passphrase_hash


def test_the_manage_page_says_when_the_address_spells_the_name(client):
    note = "a passphrase does not hide the address"
    job = finished_job(client, "Jane Example\njane@example.com\n")
    assert publish_form(client, job).status_code == 303
    p = Portfolio.objects.get()
    assert p.address_names_person and "jane-example" in p.slug
    assert note in client.get(f"/p/{p.slug}/manage/").content.decode()
    out = publish_portfolio(DOC, privacy={"passphrase": PASS})
    q = out.portfolio
    assert not q.address_names_person
    page = client.get(f"/p/{q.slug}/manage/{out.token}", follow=True)
    assert "Privacy" in page.content.decode() and note not in page.content.decode()
