"""Portfolios, the waiting list, and the capacity switch."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import slugify

from cv2web import tokens
from extraction.fields import EncryptedJSONField
from quotas.models import Tier


class State(models.TextChoices):
    CREATING = "creating", "Being built"
    ACTIVE = "active", "Active"
    IDLE = "idle", "Idle"
    WARNING = "warning", "Cleanup warning"
    CLEANUP = "cleanup", "Being cleaned up"
    ARCHIVED = "archived", "Archived"


# States whose site is online: visits, keep-alive and archiving act on these.
LIVE = (State.ACTIVE, State.IDLE, State.WARNING)
# States that hold a sandbox, and so a place of capacity (SPEC P-5).
HOLDS_SANDBOX = (State.CREATING, *LIVE)


# A manage token and its hash; only the hash is stored.
new_token = tokens.new_token
hash_token = tokens.hash_token


class PortfolioQuerySet(models.QuerySet):
    def holding_sandbox(self):
        return self.filter(state__in=HOLDS_SANDBOX)

    def live(self):
        return self.filter(state__in=LIVE)

    def counted_against(self, *, user=None, client: str = ""):
        """What a tier's limits count: an account's portfolios, or the anonymous
        ones published from an address. A quota only, never proof of
        ownership (who may control a portfolio: portfolios.access)."""
        if user is not None and user.is_authenticated:
            return self.filter(owner=user)
        return self.filter(owner__isnull=True, client=client)

    def due_idle(self, now):
        return self.filter(
            state=State.ACTIVE,
            last_activity_at__lte=now - timedelta(seconds=settings.PORTFOLIO_IDLE_AFTER),
        )

    def due_warning(self, now, *, emergency: bool = False):
        due = models.Q(warn_at__lte=now)
        if emergency:
            due |= models.Q(
                last_activity_at__lte=now
                - timedelta(hours=settings.PORTFOLIO_EMERGENCY_INACTIVITY_HOURS)
            )
        return self.filter(due, state__in=[State.ACTIVE, State.IDLE])

    def due_cleanup(self, now):
        return self.filter(
            state=State.WARNING,
            warned_at__lte=now - timedelta(minutes=settings.PORTFOLIO_GRACE_MINUTES),
        )


class Portfolio(models.Model):
    """A published portfolio. The database keeps all that its sandbox is built from."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="portfolios",
    )
    client = models.CharField(max_length=64, blank=True, help_text="Client address bucket.")
    email = models.EmailField(blank=True, help_text="Where lifecycle emails go.")
    tier = models.CharField(max_length=12, default=Tier.ANONYMOUS)
    retention_hours = models.PositiveIntegerField()
    source_job = models.ForeignKey(
        "extraction.ExtractionJob", null=True, blank=True, on_delete=models.SET_NULL
    )
    # The publishing form's one-time key or the API's Idempotency-Key, scoped to
    # its caller (a hash of caller and key): a second submission finds this row.
    publish_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # A hash of what was asked for: the same key with another body is a conflict.
    publish_digest = models.CharField(max_length=64, blank=True)
    # The document the site is built from: encrypted at rest (SPEC S-3). What the
    # public site shows is public anyway; the row also holds what it does not.
    resume = EncryptedJSONField()
    theme = models.CharField(max_length=40)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.CREATING, db_index=True
    )
    overflow = models.BooleanField(default=False, help_text="Admitted above normal capacity.")
    # Looked up by the token a caller presents (X-Manage-Token), hence the index.
    manage_token_hash = models.CharField(max_length=64, db_index=True)

    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    last_visit_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(help_text="When it warns if nothing happens before.")
    warned_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    visits = models.PositiveIntegerField(default=0)

    # What the person chose to show (issue 15 point 5); portfolios.site's
    # public_document leaves the rest out of every public file.
    show_email = models.BooleanField(default=True)
    show_phone = models.BooleanField(default=True)
    show_city = models.BooleanField(default=True)
    show_address = models.BooleanField(default=False, help_text="Street and postal code.")
    # References are third-party data (the referee's name and words): shown
    # only when the person ticks it (issue 16 point 2).
    show_references = models.BooleanField(
        default=False, help_text="References (the referees' names and words)."
    )
    allow_indexing = models.BooleanField(
        default=False, help_text="Search engines may index the site (else noindex)."
    )
    # Django's password hash of the passphrase that gates the site; "" for none.
    passphrase_hash = models.CharField(max_length=256, blank=True)

    objects = PortfolioQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "last_activity_at"], name="portfolio_activity"),
            models.Index(fields=["state", "warn_at"], name="portfolio_warn_at"),
            models.Index(fields=["state", "warned_at"], name="portfolio_warned_at"),
            models.Index(fields=["client", "state"], name="portfolio_client_state"),
            # The most recently archived (metrics' average lifetime, the
            # waiting list's typical lifetime) and the count of cleaned-up ones.
            models.Index(fields=["state", "archived_at"], name="portfolio_archived_at"),
        ]

    def __str__(self) -> str:
        # The slug, not the person's name: __str__ is copied in clear into the
        # admin's history and the audit details, outside encryption at rest.
        return self.slug

    @property
    def display_name(self) -> str:
        return ((self.resume or {}).get("basics") or {}).get("name") or self.slug

    @property
    def address_names_person(self) -> bool:
        """Whether the site's address (its slug) spells the person's name: a site
        published before it had a passphrase keeps such an address, which the
        passphrase does not hide."""
        name = slugify(((self.resume or {}).get("basics") or {}).get("name") or "")[:40]
        return bool(name.strip("-")) and self.slug.startswith(name.strip("-") + "-")

    @property
    def sandbox_path(self) -> Path:
        return Path(settings.SANDBOX_DIR) / str(self.id)

    @property
    def holds_sandbox(self) -> bool:
        return self.state in HOLDS_SANDBOX

    @property
    def is_live(self) -> bool:
        return self.state in LIVE

    def check_token(self, token: str) -> bool:
        return tokens.matches(self.manage_token_hash, token)

    def cleanup_at(self):
        """When cleanup starts if nothing happens first."""
        grace = timedelta(minutes=settings.PORTFOLIO_GRACE_MINUTES)
        if self.state == State.WARNING and self.warned_at:
            return self.warned_at + grace
        if self.state in (State.ACTIVE, State.IDLE, State.CREATING):
            return self.warn_at + grace
        return None


class RequestState(models.TextChoices):
    WAITING = "waiting", "Waiting"
    PUBLISHED = "published", "Published"
    CANCELLED = "cancelled", "Cancelled"


class PortfolioRequestQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(state=RequestState.WAITING).order_by("created_at", "id")

    def restoring(self, portfolio: Portfolio):
        """The waiting request that restores `portfolio`, if any (at most one)."""
        return self.filter(portfolio=portfolio, restore=True, state=RequestState.WAITING)


class PortfolioRequest(models.Model):
    """A publication waiting for a free place (the waiting list of SPEC P-5)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    client = models.CharField(max_length=64, blank=True)
    email = models.EmailField(blank=True)
    tier = models.CharField(max_length=12, default=Tier.ANONYMOUS)
    source_job = models.ForeignKey(
        "extraction.ExtractionJob", null=True, blank=True, on_delete=models.SET_NULL
    )
    publish_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    publish_digest = models.CharField(max_length=64, blank=True)
    resume = EncryptedJSONField()  # encrypted at rest (SPEC S-3)
    theme = models.CharField(max_length=40)
    # Made when the request is accepted, so its manage link can be shown then.
    manage_token_hash = models.CharField(max_length=64, db_index=True)
    state = models.CharField(
        max_length=10, choices=RequestState.choices, default=RequestState.WAITING, db_index=True
    )
    portfolio = models.ForeignKey(
        Portfolio,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="requests",
        help_text="The portfolio made, or the archived one to restore.",
    )
    restore = models.BooleanField(default=False, help_text="Restores `portfolio`.")
    # The privacy choices made at publish time, as Portfolio field -> value
    # (show_email, ..., passphrase_hash), given to the portfolio when it is made.
    privacy = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = PortfolioRequestQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        # Not the person's name (see Portfolio.__str__).
        return f"request {self.pk}"

    @property
    def display_name(self) -> str:
        return ((self.resume or {}).get("basics") or {}).get("name") or str(self.id)


class CapacityControl(models.Model):
    """Staff's switch for emergency mode (SPEC P-5); one row."""

    emergency = models.BooleanField(
        default=False,
        help_text="Raise capacity to PORTFOLIO_EMERGENCY_CAPACITY and cut the inactivity "
        "threshold to PORTFOLIO_EMERGENCY_INACTIVITY_HOURS.",
    )
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = "capacity control"

    def __str__(self) -> str:
        return "Emergency mode" if self.emergency else "Normal mode"

    @classmethod
    def current(cls) -> CapacityControl:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj
