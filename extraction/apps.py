import sys
from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class ExtractionConfig(AppConfig):
    name = "extraction"
    verbose_name = "Extraction"

    def ready(self) -> None:
        # Imported here: Django loads apps before their models, and these
        # modules import models (the AppConfig.ready() idiom).
        from django_q.signals import post_spawn

        from . import checks, crypto, pipeline, receivers, worker  # noqa: F401 - `checks` registers system checks

        # Quotas learn of returning visitors and jobs not done (quotas imports no extraction).
        receivers.connect()
        # What a kept poll shows (extraction.polls): jobs, their documents, the queue.
        from cv2web import stamps

        from .models import Document, ExtractionJob

        for model in (ExtractionJob, Document):
            stamps.connect_model(model, "jobs")
        # Sent inside each django-q2 worker process once it is forked.
        post_spawn.connect(worker.on_worker_spawn, dispatch_uid="extraction.worker_start")

        # A bad ENCRYPTION_KEYS stops every process at start-up, not a job later.
        crypto.check_keys()
        # Uploads and temporary files stay under DATA_DIR, outside the web root.
        for folder in (settings.UPLOAD_DIR, settings.TMP_DIR):
            Path(folder).mkdir(parents=True, exist_ok=True, mode=0o700)
        if len(sys.argv) > 1 and sys.argv[1] == "qcluster":
            pipeline.warm_up()
