"""Install every scheduled job of monitoring/schedules.py, idempotently."""

from datetime import datetime, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone
from django_q.models import Schedule

from monitoring.schedules import SCHEDULES, ScheduledJob


def first_run(job: ScheduledJob, now: datetime) -> datetime:
    """Now for interval jobs; the next occurrence of `job.at` (UTC) otherwise."""
    if job.at is None:
        return now
    candidate = now.replace(hour=job.at.hour, minute=job.at.minute, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules declared in monitoring/schedules.py."

    def handle(self, *args, **options):
        now = timezone.now()
        names = []
        for job in SCHEDULES:
            obj, created = Schedule.objects.update_or_create(
                name=job.name,
                defaults={
                    "func": "monitoring.tasks.run_job",
                    "args": repr(job.name),
                    "kwargs": None,
                    "schedule_type": job.schedule_type,
                    "minutes": job.minutes,
                    "cron": None,
                    "repeats": -1,
                },
            )
            moved = (
                job.at is not None
                and obj.next_run is not None
                and ((obj.next_run.hour, obj.next_run.minute) != (job.at.hour, job.at.minute))
            )
            if created or moved or obj.next_run is None:
                obj.next_run = first_run(job, now)
                obj.save(update_fields=["next_run"])
            names.append(job.name)
            self.stdout.write(f"{'created' if created else 'updated'}: {job.name}")
        stale = Schedule.objects.exclude(name__in=names).filter(
            func__regex=r"^(extraction|portfolios|monitoring)\."
        )
        removed, _ = stale.delete()
        if removed:
            self.stdout.write(f"removed {removed} schedule(s) no longer declared")
