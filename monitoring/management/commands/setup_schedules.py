"""Install every scheduled job of monitoring/schedules.py, idempotently."""

from django.core.management.base import BaseCommand
from django.utils import timezone
from django_q.models import Schedule

from monitoring.schedules import SCHEDULES


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules declared in monitoring/schedules.py."

    def handle(self, *args, **options):
        names = []
        for job in SCHEDULES:
            obj, created = Schedule.objects.update_or_create(
                name=job.name,
                defaults={
                    "func": job.func,
                    "schedule_type": job.schedule_type,
                    "minutes": job.minutes,
                    "cron": job.cron,
                    "repeats": -1,
                },
            )
            if created:
                obj.next_run = timezone.now()
                obj.save(update_fields=["next_run"])
            names.append(job.name)
            self.stdout.write(f"{'created' if created else 'updated'}: {job.name}")
        stale = Schedule.objects.exclude(name__in=names).filter(
            func__regex=r"^(extraction|portfolios|monitoring)\."
        )
        removed, _ = stale.delete()
        if removed:
            self.stdout.write(f"removed {removed} schedule(s) no longer declared")
