"""Restore the database from a backup made by `backup_db` (docs/deploy.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from monitoring import audit
from monitoring.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the configured database's contents with a backup from BACKUP_DIR, after "
        "checking it (manifest size and checksum, engine, decryption with ENCRYPTION_KEYS, "
        "integrity). Stop the web and worker processes first."
    )
    # A disaster-recovery tool must run whatever state the project is in.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file (a path, or a name in BACKUP_DIR).")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, *args, **options):
        interactive = options["interactive"]

        def confirm(manifest: dict) -> bool:
            if not interactive:
                return True
            sealed = "encrypted" if manifest.get("encrypted") else "unencrypted, an older backup"
            self.stdout.write(
                f"The backup checks out ({manifest['engine']}, taken {manifest['created_at']}, "
                f"{manifest['size']} bytes, {sealed}).\n"
                "This REPLACES everything in the configured database with it. Stop the web "
                "and worker processes first."
            )
            return input("Type 'yes' to continue, anything else to cancel: ").strip() == "yes"

        try:
            stats = restore(options["file"], confirm=confirm)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if not stats["restored"]:
            self.stdout.write("Restore cancelled; nothing changed.")
            return
        self._audit(stats)
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {stats['file']} (taken {stats['created_at']}) in {stats['seconds']} s."
            )
        )
        if stats["unapplied_migrations"]:
            self.stdout.write(
                "The backup predates these migrations; run `manage.py migrate`: "
                + ", ".join(stats["unapplied_migrations"])
            )

    def _audit(self, stats: dict) -> None:
        """The restored database remembers that it was restored, and from what."""
        try:
            audit.record(
                "database.restored",
                category=audit.Category.SECURITY,
                details={k: stats[k] for k in ("file", "engine", "created_at", "size_bytes")},
            )
        except Exception as exc:  # noqa: BLE001 - a backup older than the audit table's schema
            self.stderr.write(f"The restore was not written to the audit log: {exc}")
