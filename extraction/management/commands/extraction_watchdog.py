"""Requeue extraction jobs whose worker died, then hand waiting jobs to workers."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from extraction import queue
from extraction.models import ExtractionJob


class Command(BaseCommand):
    help = "Run the extraction queue watchdog once (it also runs every minute)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only say what would be requeued."
        )

    def handle(self, *args, **options):
        if options["dry_run"]:
            lost = ExtractionJob.objects.lease_expired(timezone.now()).count()
            ready = ExtractionJob.objects.ready().count()
            self.stdout.write(f"would requeue or fail {lost} job(s); {ready} ready to run")
            return
        stats = queue.watchdog()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in stats.items()))
