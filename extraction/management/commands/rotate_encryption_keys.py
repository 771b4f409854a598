"""`manage.py rotate_encryption_keys`: re-encrypt uploads and cached results with
the first key of ENCRYPTION_KEYS (and seal files stored before encryption).

It walks the Document rows, not the folder: a file no row names is an orphan
that the orphaned-files job deletes, and is left to it.
"""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from extraction.models import CacheEntry, Document

LABELS = {
    "rotated": "re-encrypted",
    "sealed": "sealed (were plaintext)",
    "current": "already current",
    "missing": "missing",
    "unreadable": "unreadable",
}


class Command(BaseCommand):
    help = (
        "Re-encrypt every uploaded file and cached extraction result with the first key "
        "of ENCRYPTION_KEYS. Run it after every process runs with the new key first, "
        "and drop the old key only once it reports no unreadable item."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Change nothing; print what would be done."
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        dry_run, batch = options["dry_run"], options["batch_size"]
        files: Counter[str] = Counter()
        unreadable = []
        last = None
        while True:
            page = Document.objects.order_by("pk").only("pk", "storage_name")
            if last is not None:
                page = page.filter(pk__gt=last)
            documents = list(page[:batch])
            if not documents:
                break
            last = documents[-1].pk
            for document in documents:
                outcome = document.reseal_file(dry_run=dry_run)
                files[outcome] += 1
                if outcome == "unreadable":
                    unreadable.append(document.storage_name)
        entries = CacheEntry.objects.reseal(dry_run=dry_run, batch_size=batch)

        prefix = "dry run, nothing changed: " if dry_run else ""
        self.stdout.write(f"{prefix}files: {_summary(files)}")
        self.stdout.write(f"{prefix}cache entries: {_summary(entries)}")
        for name in unreadable:
            self.stderr.write(f"unreadable with every key, left as it is: uploads/{name}")
        errors = files["unreadable"] + entries["unreadable"]
        if errors:
            # Non-zero: the old key must not be dropped yet.
            raise CommandError(
                f"{errors} item(s) could not be decrypted with any key of ENCRYPTION_KEYS; "
                "nothing was deleted. Add the key they were sealed with and run this again "
                "(unreadable cache entries may also be invalidated: they are re-created)."
            )


def _summary(counts: Counter[str]) -> str:
    return ", ".join(f"{counts[key]} {label}" for key, label in LABELS.items())
