"""Who may do how much: accounts with their tier, daily usage, API tokens."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, connections, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cv2web import stamps


class Tier(models.TextChoices):
    ANONYMOUS = "anonymous", _("Anonymous")
    REGISTERED = "registered", _("Registered")
    PREMIUM = "premium", _("Premium")
    BULK = "bulk", _("Bulk (API)")


class AccountQuerySet(stamps.StampedQuerySet):
    # Tier, limits and confirmation change the "auth" stamp (extraction.polls).
    stamp_names = ("auth",)


class Account(models.Model):
    """A registered user's tier and, where staff set them, personal limits.

    An empty override means "the tier's limit" (SPEC Q-1).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account"
    )
    tier = models.CharField(
        max_length=12,
        choices=[
            (Tier.REGISTERED, "Registered"),
            (Tier.PREMIUM, "Premium"),
            (Tier.BULK, "Bulk (API)"),
        ],
        default=Tier.REGISTERED,
        help_text="Premium: more of everything and the front of the queue. Bulk: an API "
        "consumer's day of CVs (QUOTA_BULK_*, RATELIMIT_BULK_*), queued as a registered user.",
    )
    extractions_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides the tier's daily extractions."
    )
    active_portfolios = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides the tier's active portfolios."
    )
    retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides the tier's retention after last activity."
    )
    note = models.CharField(max_length=200, blank=True, help_text="Why staff changed this.")
    # True by default: users made by createsuperuser, the admin or fixtures are
    # vouched for by whoever made them. Only the sign-up view sets it False,
    # until the person opens the link mailed to the address (SPEC S-5).
    confirmed = models.BooleanField(
        default=True,
        help_text="The account's email address is confirmed. Until it is, the account has "
        "an anonymous visitor's limits, counted with its client address.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.user} ({self.tier})"

    @classmethod
    def for_user(cls, user) -> Account:
        account = getattr(user, "_account_cache", None)
        if account is None:
            account, _ = cls.objects.get_or_create(user=user)
            user._account_cache = account
        return account


def _usage_key(subject: str, day) -> str:
    return f"quota-used:{subject}:{day.isoformat()}"


def usage_cache_key(subject: str, day) -> str:
    """The cache key of (subject, day)'s count, for a caller that reads it
    with other keys in one round trip (`used_cached(..., known=)`)."""
    return _usage_key(subject, day)


def forget_usage(subject: str, day) -> None:
    """Drop the cached count of (subject, day), now and when the transaction
    that changed it commits (a read in between may have cached the old one)."""
    from django.core.cache import cache

    key = _usage_key(subject, day)

    def forget() -> None:
        # The cache down: its entries expire on their own.
        with contextlib.suppress(Exception):
            cache.delete(key)

    forget()
    transaction.on_commit(forget)


class DailyUsageQuerySet(models.QuerySet):
    def consume(self, subject: str, day, limit: int) -> int | None:
        """Count one extraction for `subject` on `day` unless `limit` is reached.

        Returns the day's count after it, or None when refused. One
        conditional UPDATE: under any concurrency, at most `limit` increments
        succeed for a (subject, day).
        """
        if limit <= 0:
            return None
        table = connection.ops.quote_name(self.model._meta.db_table)
        # The table name is ours; the values are parameters.
        sql = (
            f"UPDATE {table} SET extractions = extractions + 1 "  # noqa: S608
            "WHERE subject = %s AND day = %s AND extractions < %s RETURNING extractions"
        )
        for _attempt in range(2):
            with connection.cursor() as cursor:
                # RETURNING (PostgreSQL; SQLite 3.35+) gives the new count in
                # the same statement, so nobody has to read it again.
                cursor.execute(sql, [subject, day, limit])
                row = cursor.fetchone()
            if row is not None:
                forget_usage(subject, day)
                return row[0]
            # Nothing counted: the limit is reached, or today's row is missing.
            if not self._ensure(subject, day):
                return None
        return None

    def give_back(self, subject: str, day) -> bool:
        given = bool(
            self.filter(subject=subject, day=day, extractions__gt=0).update(
                extractions=F("extractions") - 1
            )
        )
        forget_usage(subject, day)
        return given

    def used(self, subject: str, day) -> int:
        row = self.filter(subject=subject, day=day).values_list("extractions", flat=True).first()
        return row or 0

    def used_cached(self, subject: str, day, known: Mapping[str, Any] | None = None) -> int:
        """`used`, read from the cache for QUOTA_USAGE_CACHE_S: what the
        X-Quota-* headers of every API answer report (issue 13: a query on
        every API request, the cheap public reads included). `known`: what
        the caller already read from the cache with this count's key
        (usage_cache_key) among others, in one round trip; a key missing
        there was not in the cache."""
        seconds = settings.QUOTA_USAGE_CACHE_S
        if not seconds:
            return self.used(subject, day)
        from django.core.cache import cache

        key = _usage_key(subject, day)
        if known is not None:
            cached = known.get(key)
        else:
            try:
                cached = cache.get(key)
            except Exception:  # noqa: BLE001 - the cache down: read the database
                return self.used(subject, day)
        if cached is not None:
            return cached
        value = self.used(subject, day)
        with contextlib.suppress(Exception):
            cache.set(key, value, seconds)
        return value

    def _ensure(self, subject: str, day) -> bool:
        """Create today's row; False when it was there already."""
        if self.filter(subject=subject, day=day).exists():
            return False
        try:
            with transaction.atomic():
                self.create(subject=subject, day=day)
        except IntegrityError:
            pass  # another request created it just now: count again
        return True


class DailyUsage(models.Model):
    """Extractions accepted for one subject (a user or a client address) on one day."""

    subject = models.CharField(max_length=80)
    day = models.DateField()
    extractions = models.PositiveIntegerField(default=0)

    objects = DailyUsageQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject", "day"], name="daily_usage_subject_day")
        ]
        indexes = [models.Index(fields=["day"], name="daily_usage_day")]
        verbose_name_plural = "daily usage"

    def __str__(self) -> str:
        return f"{self.subject} {self.day}: {self.extractions}"


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@functools.cache
def _find_sql(db: str, t, u, a) -> str:
    """ApiToken.find's statement: the active token of a key hash, its user and
    the user's Account (LEFT JOIN: a user may have none yet)."""
    qn = connections[db].ops.quote_name
    user_model = ApiToken.user.field.related_model
    user_pk = qn(user_model._meta.pk.column)
    return (
        f"SELECT {t.sql}, {u.sql}, {a.sql} FROM {t.table} "  # noqa: S608 - ours
        f"INNER JOIN {u.table} ON {qn('t')}.{qn(ApiToken.user.field.column)} = {qn('u')}.{user_pk} "
        f"LEFT OUTER JOIN {a.table} ON {qn('a')}.{qn(Account.user.field.column)} = "
        f"{qn('u')}.{user_pk} "
        f"WHERE {qn('t')}.{qn('key_hash')} = %s AND {qn('t')}.{qn('revoked_at')} IS NULL"
    )


class ApiTokenQuerySet(stamps.StampedQuerySet):
    # A revocation changes the "auth" stamp (kept poll answers, extraction.polls);
    # the note of a token's use does not.
    stamp_names = ("auth",)
    stamp_ignores = frozenset({"last_used_at"})

    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A named API token. Only its hash is stored; the key is shown once."""

    PREFIX = "cv2w_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    key_prefix = models.CharField(max_length=16, help_text="First characters, to recognise it.")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def issue(cls, user, name: str) -> tuple[ApiToken, str]:
        """Create a token; returns it with the key, which is never stored."""
        key = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name[:100], key_hash=_hash_key(key), key_prefix=key[:12]
        )
        return token, key

    @classmethod
    def find(cls, key: str) -> ApiToken | None:
        """The active token of `key`, read on every API request (revocation
        counts at once), with its user and the user's Account in the same
        query: the tier, the confirmed flag and the limits every API answer
        needs (its rate limit's key, its X-Quota-* headers) cost no query of
        their own (issue 13). The statement is written once
        (cv2web.rawrows): built through the ORM, it cost several times what
        the database takes to answer it."""
        from django.contrib.auth import get_user_model

        from cv2web import rawrows

        db = cls.objects.db
        user_model = get_user_model()
        t = rawrows.columns(cls, "t", db)
        u = rawrows.columns(user_model, "u", db)
        a = rawrows.columns(Account, "a", db)
        sql = _find_sql(db, t, u, a)
        with connections[db].cursor() as cursor:
            cursor.execute(sql, [_hash_key(key)])
            row = cursor.fetchone()
        if row is None:
            return None
        token = t.instance(row)
        user = u.instance(row, t.width)
        account = a.instance(row, t.width + u.width)
        cls.user.field.set_cached_value(token, user)
        # As select_related("user__account") leaves them: user.account read
        # without a query (DoesNotExist when there is none).
        user_model.account.related.set_cached_value(user, account)
        if account is not None:
            Account.user.field.set_cached_value(account, user)
            # Account.for_user reads this instead of asking the database.
            user._account_cache = account
        return token

    def revoke(self) -> None:
        ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )


def normalize_address(address: str) -> str:
    """One spelling per mailbox: trimmed and lower-cased."""
    return (address or "").strip().lower()


class EmailAddressQuerySet(models.QuerySet):
    def for_address(self, address: str) -> EmailAddress:
        """The row of `address`, created on first use (safe under concurrency)."""
        address = normalize_address(address)
        row = self.filter(address=address).first()
        if row is not None:
            return row
        try:
            with transaction.atomic():
                return self.create(address=address)
        except IntegrityError:
            return self.get(address=address)

    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)


class EmailAddress(models.Model):
    """An address we were asked to mail, and whether its owner agreed (SPEC S-5).

    Nothing but a confirmation goes to an address before `confirmed_at` is
    set, and at most one per interval: the `last_*_sent_at` columns are
    claimed with a conditional UPDATE, so concurrent requests send one mail.
    """

    address = models.EmailField(max_length=254, unique=True)
    # The account that signed up with this address: claimed in the sign-up's
    # transaction, so two simultaneous sign-ups cannot both get one.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="email_addresses",
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    last_signup_notice_sent_at = models.DateTimeField(null=True, blank=True)

    objects = EmailAddressQuerySet.as_manager()

    class Meta:
        verbose_name = "email address"
        verbose_name_plural = "email addresses"

    def __str__(self) -> str:
        return self.address

    def claim_send(self, field: str, interval: dt.timedelta) -> bool:
        """Take the right to send one mail of a kind now; False when one went within `interval`."""
        now = timezone.now()
        due = models.Q(**{f"{field}__isnull": True}) | models.Q(**{f"{field}__lte": now - interval})
        if not EmailAddress.objects.filter(due, pk=self.pk).update(**{field: now}):
            return False
        setattr(self, field, now)
        return True

    def release_send(self, field: str) -> None:
        """The claimed mail could not be sent: let the next request try again."""
        EmailAddress.objects.filter(pk=self.pk, **{field: getattr(self, field)}).update(
            **{field: None}
        )
        setattr(self, field, None)

    def confirm(self) -> bool:
        """Mark the address confirmed, and the account that signed up with it; False if it was."""
        now = timezone.now()
        first = bool(
            EmailAddress.objects.filter(pk=self.pk, confirmed_at__isnull=True).update(
                confirmed_at=now
            )
        )
        self.confirmed_at = self.confirmed_at or now
        if self.user_id is not None:
            Account.objects.filter(user_id=self.user_id, confirmed=False).update(confirmed=True)
        return first


class BurstCounterQuerySet(models.QuerySet):
    def hit(self, scope: str, subject: str, window_start, keep_after) -> int:
        """Count one request in (scope, subject, window); returns the window's count.

        One statement (an upsert with RETURNING: PostgreSQL, SQLite 3.35+), so
        concurrent requests each get their own number.
        """
        table = connection.ops.quote_name(self.model._meta.db_table)
        # The table name is ours; the values are parameters.
        upsert = (
            f"INSERT INTO {table} (scope, subject, window_start, hits) "  # noqa: S608
            "VALUES (%s, %s, %s, 1) ON CONFLICT (scope, subject, window_start) "
            "DO UPDATE SET hits = " + table + ".hits + 1 RETURNING hits"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                upsert, [scope, subject, connection.ops.adapt_datetimefield_value(window_start)]
            )
            hits = cursor.fetchone()[0]
        # Rows are only written while the cache is down; old windows go here,
        # bounded, rather than in a scheduled job of their own.
        old = self.filter(window_start__lt=keep_after).values_list("pk", flat=True)[:100]
        if hits == 1:
            self.filter(pk__in=list(old)).delete()
        return hits


class BurstCounter(models.Model):
    """Log-in, sign-up and password-reset attempts counted in the database
    while the shared cache is unreachable: those limits never fail open."""

    scope = models.CharField(max_length=40)
    subject = models.CharField(max_length=80)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    objects = BurstCounterQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "subject", "window_start"], name="burst_counter_window"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="burst_counter_start")]

    def __str__(self) -> str:
        return f"{self.scope} {self.subject} {self.window_start:%H:%M:%S}: {self.hits}"
