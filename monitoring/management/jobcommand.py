"""The shape of every scheduled job's management command (SPEC M-4)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from monitoring import jobs
from monitoring.schedules import BY_NAME


class JobCommand(BaseCommand):
    """Runs the registered job `job` once, recorded like a scheduled run."""

    job: str = ""

    @property
    def help(self) -> str:  # type: ignore[override]
        return f"{BY_NAME[self.job].description} (scheduled job {self.job!r})"

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Change nothing; print what would be done."
        )

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        record = jobs.run(self.job, dry_run=dry_run, raise_errors=False)
        if record.outcome == record.RunOutcome.FAILED:
            raise CommandError(f"{self.job} failed: {record.error}")
        if record.outcome == record.RunOutcome.SKIPPED:
            self.stdout.write(f"{self.job}: skipped, the previous run is still running")
            return
        prefix = f"{self.job}{' (dry run)' if dry_run else ''}:"
        self.stdout.write(f"{prefix} {_format(record.stats)}")


def _format(stats: dict) -> str:
    return " ".join(
        f"{k}={json.dumps(v) if isinstance(v, (dict, list)) else v}" for k, v in stats.items()
    )
