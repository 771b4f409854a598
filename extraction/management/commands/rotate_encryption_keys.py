"""`manage.py rotate_encryption_keys`: re-encrypt everything sealed at rest with
the first key of ENCRYPTION_KEYS, and seal what was stored before encryption.

That is: uploaded files, every `EncryptedJSONField` column of every model
(cached results, job results, portfolio and waiting-list documents: found in
the app registry, so a new sealed column is covered without a change here),
sessions, and whatever other apps registered with `crypto.register_resealer`
(database backups).

It walks the Document rows, not the upload folder: a file no row names is an
orphan that the orphaned-files job deletes, and is left to it.
"""

from __future__ import annotations

from collections import Counter

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from extraction import crypto
from extraction.fields import EncryptedJSONField, reseal_column
from extraction.models import Document

SESSION_ENGINE = "extraction.sessions"
LABELS = {
    "rotated": "re-encrypted",
    "sealed": "sealed (were plaintext)",
    "current": "already current",
    "missing": "missing",
    "unreadable": "unreadable",
}


def sealed_columns() -> list[tuple[str, type, str]]:
    """(label, model, field name) of every encrypted column in the project."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedJSONField)]
        for field in fields:
            label = str(model._meta.verbose_name_plural)
            found.append(
                (f"{label} ({field.name})" if len(fields) > 1 else label, model, field.name)
            )
    return found


class Command(BaseCommand):
    help = (
        "Re-encrypt every uploaded file, encrypted database column, session and database "
        "backup with the first key of ENCRYPTION_KEYS. Run it after every process runs "
        "with the new key first, and drop the old key only once it reports no unreadable "
        "item."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Change nothing; print what would be done."
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        dry_run, batch = options["dry_run"], options["batch_size"]
        if batch < 1:
            raise CommandError("--batch-size must be at least 1.")
        prefix = "dry run, nothing changed: " if dry_run else ""
        errors = 0

        files, unreadable_files = self._files(dry_run, batch)
        self.stdout.write(f"{prefix}files: {_summary(files)}")
        for name in unreadable_files:
            self.stderr.write(f"unreadable with every key, left as it is: uploads/{name}")
        errors += files["unreadable"]

        for label, model, field in sealed_columns():
            counts = reseal_column(
                model._base_manager.all(), field, dry_run=dry_run, batch_size=batch
            )
            self.stdout.write(f"{prefix}{label}: {_summary(counts)}")
            errors += counts["unreadable"]

        if settings.SESSION_ENGINE == SESSION_ENGINE:
            # Only here: with another session engine the sessions app may not
            # be installed, and its model cannot be imported then.
            from django.contrib.sessions.models import Session

            counts = reseal_column(
                Session.objects.all(), "session_data", dry_run=dry_run, batch_size=batch
            )
            self.stdout.write(f"{prefix}sessions: {_summary(counts)}")
            if counts["unreadable"]:
                # Not an error: such a session already reads as signed out,
                # whichever keys are listed, and expires by itself.
                self.stderr.write(
                    f"{counts['unreadable']} session(s) no key opens: they read as signed "
                    "out and are deleted when they expire."
                )

        for label, reseal in crypto.resealers().items():
            counts = reseal(dry_run=dry_run, batch_size=batch)
            self.stdout.write(f"{prefix}{label}: {_summary(counts)}")
            errors += counts["unreadable"]

        if errors:
            # Non-zero: the old key must not be dropped yet.
            raise CommandError(
                f"{errors} item(s) could not be decrypted with any key of ENCRYPTION_KEYS; "
                "nothing was deleted. Add the key they were sealed with and run this again "
                "(unreadable cache entries may also be invalidated: they are re-created)."
            )

    def _files(self, dry_run: bool, batch: int) -> tuple[Counter[str], list[str]]:
        counts: Counter[str] = Counter()
        unreadable = []
        last = None
        while True:
            page = Document.objects.order_by("pk").only("pk", "storage_name")
            if last is not None:
                page = page.filter(pk__gt=last)
            documents = list(page[:batch])
            if not documents:
                return counts, unreadable
            last = documents[-1].pk
            for document in documents:
                outcome = document.reseal_file(dry_run=dry_run)
                counts[outcome] += 1
                if outcome == "unreadable":
                    unreadable.append(document.storage_name)


def _summary(counts: Counter[str]) -> str:
    return ", ".join(f"{counts[key]} {label}" for key, label in LABELS.items())
