from monitoring.management.jobcommand import JobCommand


class Command(JobCommand):
    job = "webhook deliveries"
