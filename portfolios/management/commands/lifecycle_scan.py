"""Run the portfolio lifecycle scan once (it also runs every LIFECYCLE_SCAN_MINUTES)."""

from django.core.management.base import BaseCommand

from portfolios.lifecycle import scan


class Command(BaseCommand):
    help = "Move portfolios between lifecycle states, send warnings, archive, drain the list."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count what would move.")

    def handle(self, *args, **options):
        stats = scan(dry_run=options["dry_run"])
        self.stdout.write(" ".join(f"{k}={v}" for k, v in stats.items()))
