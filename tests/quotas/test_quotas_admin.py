"""Staff tools: users with tier and usage, the Account inline, usage rows, tokens."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.models import AuditLog
from quotas import policy
from quotas.models import Account, ApiToken, DailyUsage, Tier

pytestmark = pytest.mark.django_db

USERS = "/admin/auth/user/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def change_form_data(user, account, **account_fields) -> dict:
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
        "account-TOTAL_FORMS": "1",
        "account-INITIAL_FORMS": "1",
        "account-MIN_NUM_FORMS": "0",
        "account-MAX_NUM_FORMS": "1",
        "account-0-id": str(account.pk),
        "account-0-user": str(user.pk),
        "account-0-tier": account.tier,
        # The checkbox, ticked as the rendered form posts it for a confirmed account.
        "account-0-confirmed": "on" if account.confirmed else "",
        "account-0-note": "",
        "_save": "Save",
    }
    data.update({f"account-0-{k}": v for k, v in account_fields.items()})
    return data


def test_staff_makes_a_user_premium_with_the_account_inline(staff_client, alice):
    account = Account.objects.get(user=alice)
    page = staff_client.get(f"{USERS}{alice.pk}/change/")
    assert page.status_code == 200 and "Tier and limits" in page.content.decode()

    r = staff_client.post(
        f"{USERS}{alice.pk}/change/",
        change_form_data(
            alice, account, tier="premium", extractions_per_day="75", note="conference speaker"
        ),
    )

    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    alice.refresh_from_db()
    assert policy.tier_of(alice) == Tier.PREMIUM
    assert policy.limits_for(alice).extractions_per_day == 75
    entry = AuditLog.objects.get(action="account.tier_changed")
    assert entry.category == "security" and entry.actor.username == "staff"
    assert entry.details["changes"]["tier"] == ["registered", "premium"]
    assert entry.details["note"] == "conference speaker"


def test_staff_put_an_account_on_the_bulk_plan_in_the_admin(staff_client, alice):
    account = Account.objects.get(user=alice)
    r = staff_client.post(
        f"{USERS}{alice.pk}/change/",
        change_form_data(alice, account, tier="bulk", note="ATS integration"),
    )
    assert r.status_code == 302
    assert policy.tier_of(alice) == Tier.BULK
    entry = AuditLog.objects.get(action="account.tier_changed")
    assert entry.details["changes"]["tier"] == ["registered", "bulk"]
    page = staff_client.get(f"{USERS}?account__tier=bulk").content.decode()
    assert "Bulk (API)" in page and "alice" in page


def test_saving_a_user_without_limit_changes_writes_no_audit_row(staff_client, alice):
    account = Account.objects.get(user=alice)
    r = staff_client.post(f"{USERS}{alice.pk}/change/", change_form_data(alice, account))
    assert r.status_code == 302
    assert not AuditLog.objects.filter(action__startswith="account.").exists()


def test_adding_a_user_in_the_admin_gives_them_one_registered_account(staff_client):
    r = staff_client.post(
        f"{USERS}add/",
        {
            "username": "dave",
            "password1": "Sturdy-pass-991",
            "password2": "Sturdy-pass-991",
            "usable_password": "true",
            "_save": "Save",
        },
    )
    assert r.status_code == 302
    account = Account.objects.get(user__username="dave")
    # Staff vouch for the users they make: confirmed, with the registered tier's limits.
    assert account.tier == Tier.REGISTERED and account.confirmed
    assert policy.tier_of(account.user) == Tier.REGISTERED


def test_the_user_list_shows_tier_and_todays_extractions(staff_client, alice):
    DailyUsage.objects.create(subject=f"user:{alice.pk}", day=policy.today(), extractions=7)
    DailyUsage.objects.create(subject=f"user:{alice.pk}99", day=policy.today(), extractions=4)

    r = staff_client.get(USERS)

    text = r.content.decode()
    assert "Extractions today" in text and "Registered" in text
    users = {u.username: u for u in r.context["cl"].result_list}
    assert users["alice"].extractions_used_today == 7
    assert users["staff"].extractions_used_today == 0
    assert staff_client.get(f"{USERS}?account__tier__exact=premium").context["cl"].result_count == 0
    assert staff_client.get(f"{USERS}?o=4").status_code == 200  # sort by usage


def add_users(django_user_model, start: int, count: int) -> None:
    users = django_user_model.objects.bulk_create(
        django_user_model(username=f"user{i}", email=f"user{i}@example.com")
        for i in range(start, start + count)
    )
    Account.objects.bulk_create(Account(user=u) for u in users)
    DailyUsage.objects.bulk_create(
        DailyUsage(subject=f"user:{u.pk}", day=policy.today(), extractions=1) for u in users
    )


def test_the_user_list_needs_the_same_queries_for_1_or_20_users(
    staff_client, django_user_model, django_assert_max_num_queries
):
    add_users(django_user_model, 0, 1)
    staff_client.get(USERS)  # warm the session
    with CaptureQueriesContext(connection) as one:
        assert staff_client.get(USERS).status_code == 200

    add_users(django_user_model, 1, 19)
    with django_assert_max_num_queries(len(one)):
        r = staff_client.get(USERS)
    assert r.context["cl"].result_count == 21


def test_daily_usage_is_read_only_in_the_admin(staff_client, alice):
    row = DailyUsage.objects.create(subject=f"user:{alice.pk}", day=policy.today(), extractions=3)
    base = "/admin/quotas/dailyusage/"

    listing = staff_client.get(f"{base}?q=user:")
    assert listing.status_code == 200 and f"user:{alice.pk}" in listing.content.decode()
    assert "action-select" not in listing.content.decode()
    assert staff_client.get(f"{base}add/").status_code == 403
    view = staff_client.get(f"{base}{row.pk}/change/")
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    assert staff_client.post(f"{base}{row.pk}/change/", {"extractions": "0"}).status_code == 403
    assert staff_client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert row.extractions == 3


def test_staff_revoke_selected_tokens_with_an_audit_row(staff_client, alice):
    token, key = ApiToken.issue(alice, "old laptop")
    kept, kept_key = ApiToken.issue(alice, "ci")
    base = "/admin/quotas/apitoken/"

    listing = staff_client.get(base).content.decode()
    assert "old laptop" in listing and token.key_prefix in listing and key not in listing
    assert "Revoke selected tokens" in listing
    assert staff_client.get(f"{base}add/").status_code == 403
    form = staff_client.get(f"{base}{token.pk}/change/").context["adminform"].form
    assert "key_hash" not in form.fields  # shown read-only

    r = staff_client.post(base, {"action": "revoke_tokens", "_selected_action": [token.pk]})

    assert r.status_code == 302
    assert ApiToken.find(key) is None and ApiToken.find(kept_key) is not None
    entry = AuditLog.objects.get(action="token.revoked")
    assert entry.category == "security" and entry.object_id == str(token.pk)
    assert entry.details["by_staff"] is True


def test_staff_confirm_an_address_for_its_owner_with_an_audit_row(staff_client, client):
    from quotas import mail
    from quotas.models import EmailAddress

    row = EmailAddress.objects.for_address("support-case@example.com")
    r = staff_client.post(
        "/admin/quotas/emailaddress/",
        {"action": "confirm_addresses", "_selected_action": [str(row.pk)]},
    )
    assert r.status_code == 302
    assert mail.is_confirmed("support-case@example.com")
    entry = AuditLog.objects.get(action="email.confirmed")
    assert entry.category == "security" and entry.details == {"by_staff": True}
    assert staff_client.get("/admin/quotas/emailaddress/add/").status_code == 403
