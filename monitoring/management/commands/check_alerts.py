"""Check every alert threshold once (it also runs every ALERT_CHECK_MINUTES)."""

from django.core.management.base import BaseCommand

from monitoring.alerts import evaluate, readings


class Command(BaseCommand):
    help = "Open, keep or resolve alerts; mail ADMINS for new ones."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only print the readings.")

    def handle(self, *args, **options):
        if options["dry_run"]:
            for r in readings():
                self.stdout.write(f"{'FIRING' if r.firing else 'ok':6} {r.key}: {r.message}")
            return
        stats = evaluate()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in stats.items()))
