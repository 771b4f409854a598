"""A passphrase in front of a portfolio (issue 15 point 5, acceptance 5).

Every file of a gated site, whichever way it is served (the view, the
in-memory PublicSiteMiddleware, a front server's X-Accel-Redirect), needs the
site's signed cookie; the right passphrase sets it. Guesses meet the rate limit
(429 with Retry-After, the right passphrase refused too until the window
passes). The pages say nothing of the person behind the URL.
"""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.core.cache import caches

from portfolios import gate, publishing
from portfolios.views import public
from quotas import ratelimits
from tests.helpers import publish_portfolio

pytestmark = pytest.mark.django_db

DOC = {
    "basics": {"name": "Ada Secretperson", "email": "ada@example.com"},
    "work": [{"name": "Acme", "position": "Engineer", "startDate": "2020-01"}],
}
PASS = "correct horse battery"
FILES = ("", "style.css", "resume.json", "contact.vcf", "site.zip")


@pytest.fixture(autouse=True)
def _fast_hashes_fresh_limits(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ratelimits.reset_breakers()
    caches[settings.RATELIMIT_USE_CACHE].clear()
    yield
    ratelimits.reset_breakers()


def gated():
    return publish_portfolio(DOC, privacy={"passphrase": PASS, "allow_indexing": True}).portfolio


def unlock(client, p, passphrase=PASS, **extra):
    return client.post(f"/p/{p.slug}/unlock", {"passphrase": passphrase, **extra})


def test_the_passphrase_is_kept_hashed():
    p = gated()
    assert p.passphrase_hash and PASS not in p.passphrase_hash
    assert p.passphrase_hash.startswith("md5$")  # Django's hasher (fast in tests)


@pytest.mark.parametrize("accel", ["", "/_sandboxes/"])
def test_every_file_is_refused_without_the_cookie_however_it_is_served(client, settings, accel):
    settings.PORTFOLIO_ACCEL_REDIRECT_PREFIX = accel
    p = gated()
    # Known to the middleware (a visitor who passed was served from memory).
    other = client.__class__()
    assert unlock(other, p).status_code == 303
    assert other.get(f"/p/{p.slug}/").status_code == 200
    assert public._served.ids.get(p.slug) == str(p.pk)
    for name in FILES:
        r = client.get(f"/p/{p.slug}/{name}")
        assert r.status_code == 403, name
        assert "X-Accel-Redirect" not in r
        body = r.content.decode()
        assert "This portfolio is protected" in body
        assert "Secretperson" not in body and "ada@example.com" not in body
        assert r["Cache-Control"] == "no-store"
        assert r["X-Robots-Tag"] == "noindex, nofollow"


def test_the_right_passphrase_opens_every_file_cacheable_by_that_browser_only(client, settings):
    p = gated()
    r = unlock(client, p, next="resume.json")
    assert r.status_code == 303 and r["Location"] == f"/p/{p.slug}/resume.json"
    cookie = r.cookies[gate.COOKIE_NAME]
    assert cookie["path"] == f"/p/{p.slug}/" and cookie["httponly"]
    for _ in range(2):  # the view, then the middleware
        for name in FILES:
            r = client.get(f"/p/{p.slug}/{name}")
            assert r.status_code == 200, name
            assert r["Cache-Control"] == "private, max-age=300", name
            assert "Cookie" in r["Vary"], name
    settings.PORTFOLIO_ACCEL_REDIRECT_PREFIX = "/_sandboxes/"
    r = client.get(f"/p/{p.slug}/site.zip")
    assert r["X-Accel-Redirect"] == f"/_sandboxes/{p.pk}/site.zip"


def test_a_cookie_of_another_site_or_a_forged_one_does_not_open_it(client):
    p, q = gated(), gated()
    unlock(client, q)
    assert client.get(f"/p/{q.slug}/").status_code == 200
    other = client.cookies[gate.COOKIE_NAME].value
    client.cookies.clear()
    client.cookies[gate.COOKIE_NAME] = other
    assert client.get(f"/p/{p.slug}/").status_code == 403
    client.cookies[gate.COOKIE_NAME] = gate.token_of(p.pk, p.passphrase_hash)  # unsigned
    assert client.get(f"/p/{p.slug}/").status_code == 403


def test_a_new_passphrase_shuts_out_those_who_passed_the_old_one(client):
    p = gated()
    unlock(client, p)
    assert client.get(f"/p/{p.slug}/").status_code == 200
    publishing.update(p, privacy={"passphrase": "a brand new one"})
    assert client.get(f"/p/{p.slug}/").status_code == 403
    assert unlock(client, p, "a brand new one").status_code == 303
    assert client.get(f"/p/{p.slug}/").status_code == 200


def test_removing_the_passphrase_opens_the_site_to_everyone(client):
    p = gated()
    assert client.get(f"/p/{p.slug}/").status_code == 403
    publishing.update(p, privacy={"passphrase": None})
    r = client.get(f"/p/{p.slug}/")
    assert r.status_code == 200 and "public" in r["Cache-Control"]


def test_a_wrong_or_empty_passphrase_is_told_plainly(client):
    p = gated()
    r = unlock(client, p, "not it")
    assert r.status_code == 403
    assert "That passphrase is not right" in r.content.decode()
    assert "Secretperson" not in r.content.decode()
    assert gate.COOKIE_NAME not in r.cookies
    r = unlock(client, p, "   ")
    assert r.status_code == 400 and "Enter the passphrase." in r.content.decode()
    r = unlock(client, p, "x" * 10_000)
    assert r.status_code == 403 and gate.COOKIE_NAME not in r.cookies


def test_an_unknown_portfolio_is_a_404_as_its_page_is(client):
    assert client.post("/p/nobody-000000/unlock", {"passphrase": PASS}).status_code == 404
    assert client.get("/p/nobody-000000/").status_code == 404


def test_brute_force_meets_the_limit_and_the_right_passphrase_waits_for_the_window(
    client, settings
):
    settings.RATELIMIT_PASSPHRASE = "5/m"
    p = gated()
    # One instant for all the guesses: the limit's minute (a window of its own
    # per key) must not turn over in the middle of the run.
    now = time.time()
    with mock.patch("django_ratelimit.core.time.time", return_value=now):
        codes = [unlock(client, p, f"guess {i}").status_code for i in range(7)]
        assert codes == [403] * 5 + [429] * 2
        r = unlock(client, p)
    assert r.status_code == 429
    assert int(r["Retry-After"]) > 0
    assert "Too many passphrase attempts" in r.content.decode()
    assert gate.COOKIE_NAME not in r.cookies
    later = now + 61
    with mock.patch("django_ratelimit.core.time.time", return_value=later):
        r = unlock(client, p)
    assert r.status_code == 303 and gate.COOKIE_NAME in r.cookies


def test_guesses_from_many_addresses_share_the_portfolios_limit(client, settings, one_window):
    settings.RATELIMIT_PASSPHRASE_PORTFOLIO = "4/h"
    p = gated()
    codes = [
        client.post(
            f"/p/{p.slug}/unlock", {"passphrase": f"g{i}"}, REMOTE_ADDR=f"198.51.100.{i}"
        ).status_code
        for i in range(6)
    ]
    assert codes == [403] * 4 + [429] * 2
    # Another portfolio is not locked by it.
    assert unlock(client, gated()).status_code == 303
