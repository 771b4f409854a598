from monitoring.management.jobcommand import JobCommand


class Command(JobCommand):
    job = "extraction model batches"
