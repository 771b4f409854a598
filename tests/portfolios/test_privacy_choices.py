"""Privacy the person chooses, per portfolio (issue 15 point 5, acceptance 5).

For each choice (e-mail, phone, city, street address) the five public outputs
are read as a stranger reads them, from the served site: the page's HTML, its
JSON-LD, contact.vcf, resume.json and site.zip (each file inside it). What is
hidden is in none of them; what is shown is in the page. Search engines: the
noindex meta tag and the X-Robots-Tag header, noindex the default for
anonymous portfolios.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from portfolios import publishing, sandbox
from portfolios.models import Portfolio
from portfolios.views import public
from tests.helpers import publish_portfolio

pytestmark = pytest.mark.django_db

DOC = {
    "basics": {
        "name": "Ada Example",
        "label": "Engineer",
        "email": "ada.private@example.com",
        "phone": "+44 20 7946 0958",
        "location": {
            "address": "12 Hidden Lane",
            "postalCode": "NW1 6XE",
            "city": "Londontown",
            "region": "Greaterregion",
            "countryCode": "GB",
        },
    },
    "work": [{"name": "Acme", "position": "Engineer", "startDate": "2020-01"}],
}
# choice -> the strings it hides (as written in the document, and the way the
# vCard escapes them).
HIDES = {
    "show_email": ["ada.private@example.com"],
    "show_phone": ["+44 20 7946 0958"],
    "show_city": ["Londontown", "Greaterregion"],
    "show_address": ["12 Hidden Lane", "NW1 6XE"],
}


def public_outputs(client, p: Portfolio) -> dict[str, str]:
    """The five public outputs, as served to a stranger (the ZIP opened)."""
    out = {}
    page = client.get(f"/p/{p.slug}/")
    assert page.status_code == 200
    html = page.content.decode()
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert ld is not None
    out["page"] = re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)
    out["jsonld"] = json.dumps(json.loads(ld.group(1)), ensure_ascii=False)
    for name in ("contact.vcf", "resume.json"):
        r = client.get(f"/p/{p.slug}/{name}")
        assert r.status_code == 200, name
        out[name] = r.content.decode()
    r = client.get(f"/p/{p.slug}/site.zip")
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        out["site.zip"] = "\n".join(zf.read(n).decode() for n in zf.namelist() if n != "style.css")
    return out


def unfolded(text: str) -> str:
    # vCard lines are folded at 75 octets and escape , and ;
    return text.replace("\r\n ", "").replace("\\,", ",").replace("\\;", ";")


def publish_with(**choices) -> Portfolio:
    return publish_portfolio(DOC, privacy=choices).portfolio


@pytest.mark.parametrize("choice", sorted(HIDES))
def test_each_choice_hides_its_fields_from_all_five_outputs(client, choice):
    shown = {"show_email": True, "show_phone": True, "show_city": True, "show_address": True}
    shown_p = publish_with(**shown)
    hidden_p = publish_with(**{**shown, choice: False})
    with_field = public_outputs(client, shown_p)
    without = public_outputs(client, hidden_p)
    assert set(without) == {"page", "jsonld", "contact.vcf", "resume.json", "site.zip"}
    for value in HIDES[choice]:
        for output, text in with_field.items():
            assert value in unfolded(text), (choice, value, output)
        for output, text in without.items():
            assert value not in unfolded(text), (choice, value, output)
    # The others are untouched by this choice.
    for other, values in HIDES.items():
        if other != choice:
            for value in values:
                assert value in unfolded(without["page"]), (choice, other)


def test_by_default_the_street_is_hidden_and_the_rest_shown(client):
    p = publish_portfolio(DOC).portfolio
    outputs = public_outputs(client, p)
    for output, text in outputs.items():
        for value in HIDES["show_address"]:
            assert value not in unfolded(text), output
        assert "ada.private@example.com" in text, output
        assert "Londontown" in text, output
    assert "+44 20 7946 0958" in outputs["page"]


def test_the_owner_download_keeps_everything(client):
    p = publish_with(show_email=False, show_phone=False, show_city=False)
    doc = json.loads(sandbox.owner_resume_json(p))
    assert doc["basics"]["email"] == "ada.private@example.com"
    assert doc["basics"]["location"]["address"] == "12 Hidden Lane"


# ------------------------------------------------------------ search engines


def test_anonymous_portfolios_are_noindex_by_default_on_every_file(client):
    p = publish_portfolio(DOC).portfolio
    assert p.allow_indexing is False
    page = client.get(f"/p/{p.slug}/")
    assert '<meta name="robots" content="noindex, nofollow">' in page.content.decode()
    for name in ("", "style.css", "resume.json", "contact.vcf", "site.zip"):
        r = client.get(f"/p/{p.slug}/{name}")
        assert r["X-Robots-Tag"] == "noindex, nofollow", name
        public._served.forget(p.slug)  # the next one through the view
        r = client.get(f"/p/{p.slug}/{name}")
        assert r["X-Robots-Tag"] == "noindex, nofollow", name


def test_allowing_search_engines_removes_the_meta_tag_and_the_header(client):
    p = publish_with(allow_indexing=True)
    for _ in range(2):  # the view, then the middleware
        r = client.get(f"/p/{p.slug}/")
        assert "X-Robots-Tag" not in r
        assert 'name="robots"' not in r.content.decode()


def test_a_portfolio_published_from_an_account_is_indexable_by_default(django_user_model):
    user = django_user_model.objects.create_user("ada", "ada@example.com", "pw-ada-12345")
    p = publish_portfolio(DOC, owner=user).portfolio
    assert p.allow_indexing is True


def test_changing_a_choice_rebuilds_the_site_the_middleware_serves(client):
    p = publish_with(allow_indexing=True)
    assert "ada.private@example.com" in client.get(f"/p/{p.slug}/").content.decode()
    client.get(f"/p/{p.slug}/")  # now served from memory
    publishing.update(p, privacy={"show_email": False, "allow_indexing": False})
    r = client.get(f"/p/{p.slug}/")
    assert "ada.private@example.com" not in r.content.decode()
    assert r["X-Robots-Tag"] == "noindex, nofollow"
    assert "ada.private@example.com" not in client.get(f"/p/{p.slug}/resume.json").content.decode()
