"""Where webhooks may never go (issue 14 point 4, acceptance 3): each refusal
at registration, on an upload's `callback_url`, and again at delivery time."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from extraction.models import Document, ExtractionJob
from tests.extraction import badfiles as bf
from webhooks import addresses
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db

HOOKS = "/api/v1/webhooks"


def cv() -> SimpleUploadedFile:
    return SimpleUploadedFile("cv.txt", bf.txt_utf8(f"P {uuid.uuid4().hex}\np@example.com\n"))


REFUSED = [
    ("ftp://hooks.example.com/x", "scheme_not_allowed"),
    ("javascript:alert(1)", "scheme_not_allowed"),
    ("file:///etc/passwd", "scheme_not_allowed"),
    ("http://hooks.example.com/x", "https_required"),
    ("https://user:secret@hooks.example.com/x", "credentials_in_url"),
    ("https://user@hooks.example.com/x", "credentials_in_url"),
    ("https://hooks.example.com\\@127.0.0.1/x", "credentials_in_url"),
    ("https://hooks.example.com/" + "a" * 2100, "url_too_long"),
    ("not a url", "invalid_url"),
    ("https:///x", "invalid_url"),
    ("https://hooks.example.com:99999/x", "invalid_url"),
    ("https://hooks.example.com/x#frag", "invalid_url"),
    ("https://127.0.0.1/x", "address_not_allowed"),
    ("https://127.8.9.10/x", "address_not_allowed"),
    ("https://[::1]/x", "address_not_allowed"),
    ("https://10.1.2.3/x", "address_not_allowed"),
    ("https://172.16.0.1/x", "address_not_allowed"),
    ("https://192.168.1.1/x", "address_not_allowed"),
    ("https://169.254.169.254/latest/meta-data/", "address_not_allowed"),
    ("https://100.64.0.1/x", "address_not_allowed"),
    ("https://100.100.100.200/x", "address_not_allowed"),
    ("https://224.0.0.1/x", "address_not_allowed"),
    ("https://0.0.0.0/x", "address_not_allowed"),
    ("https://[::ffff:127.0.0.1]/x", "address_not_allowed"),
    ("https://[::ffff:169.254.169.254]/x", "address_not_allowed"),
    ("https://[64:ff9b::a9fe:a9fe]/x", "address_not_allowed"),
    ("https://[2002:7f00:1::]/x", "address_not_allowed"),
    ("https://[fd00:ec2::254]/x", "address_not_allowed"),
    ("https://[fe80::1]/x", "address_not_allowed"),
    ("https://localhost.test/x", "address_not_allowed"),
    ("https://metadata.test/computeMetadata/v1/", "address_not_allowed"),
    ("https://2130706433/x", "address_not_allowed"),
    ("https://split.test/x", "address_not_allowed"),
    ("https://nowhere.invalid/x", "unresolvable_host"),
]


@pytest.fixture
def hostile_names(dns):
    dns.set("localhost.test", "127.0.0.1")
    dns.set("metadata.test", "169.254.169.254")
    # What the C library answers for the legacy numeric forms.
    dns.set("2130706433", "127.0.0.1")
    # A public and a private address: one refused address refuses the name.
    dns.set("split.test", ["93.184.216.34", "10.0.0.7"])


@pytest.mark.parametrize(("url", "code"), REFUSED)
def test_registration_refuses_with_a_machine_code(token_api, hostile_names, url, code):
    r = token_api.post(HOOKS, {"url": url}, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["error"] == code and r.json()["message"]
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://169.254.169.254/x", "address_not_allowed"),
        ("https://[::1]/x", "address_not_allowed"),
        ("http://hooks.example.com/x", "https_required"),
        ("https://u:p@hooks.example.com/x", "credentials_in_url"),
    ],
)
@pytest.mark.parametrize("endpoint", ["/api/v1/extractions", "/api/v1/extractions/batch"])
def test_an_uploads_bad_callback_url_is_refused_before_anything_is_stored(
    token_api, url, code, endpoint
):
    field = "file" if endpoint.endswith("extractions") else "files"
    r = token_api.post(endpoint, {field: cv(), "callback_url": url}, format="multipart")
    assert r.status_code == 400 and r.json()["error"] == code
    assert not Document.objects.exists() and not ExtractionJob.objects.exists()


def test_a_callback_url_needs_an_api_token(api, alice):
    url = "https://hooks.example.com/x"
    r = api.post("/api/v1/extractions", {"file": cv(), "callback_url": url}, format="multipart")
    assert r.status_code == 400 and r.json()["error"] == "token_required"
    api.force_authenticate(alice)  # a session, not a token
    r = api.post("/api/v1/extractions", {"file": cv(), "callback_url": url}, format="multipart")
    assert r.status_code == 400 and r.json()["error"] == "token_required"
    assert not ExtractionJob.objects.exists()


def test_registering_an_endpoint_needs_an_api_token(api, alice):
    assert api.post(HOOKS, {"url": "https://hooks.example.com/x"}, format="json").status_code == 401
    api.force_authenticate(alice)
    r = api.post(HOOKS, {"url": "https://hooks.example.com/x"}, format="json")
    assert r.status_code == 400 and r.json()["error"] == "token_required"


def test_allowing_loopback_for_development_allows_nothing_else(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    assert addresses.is_allowed("127.0.0.1") and addresses.is_allowed("::1")
    for address in ("10.0.0.1", "169.254.169.254", "100.64.1.1", "192.168.0.1", "fd00::1"):
        assert not addresses.is_allowed(address), address


def test_an_extra_blocked_network_is_refused(settings, token_api):
    settings.WEBHOOK_BLOCKED_NETWORKS = ["93.184.216.0/24"]
    r = token_api.post(HOOKS, {"url": "https://hooks.example.com/x"}, format="json")
    assert r.status_code == 400 and r.json()["error"] == "address_not_allowed"


def test_a_public_https_url_is_registered(token_api):
    r = token_api.post(HOOKS, {"url": "https://hooks.example.com/cv2web"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["url"] == "https://hooks.example.com/cv2web"


def test_host_names_are_checked_in_their_ascii_form(dns, token_api):
    dns.set("xn--bcher-kva.example", "10.0.0.1")
    r = token_api.post(HOOKS, {"url": "https://bücher.example/x"}, format="json")
    assert r.status_code == 400 and r.json()["error"] == "address_not_allowed"
    assert dns.lookups[-1] == "xn--bcher-kva.example"
