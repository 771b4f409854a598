from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Imported here: they import models (the AppConfig.ready() idiom).
        from extraction import callbacks
        from extraction.signals import job_finished

        from . import events, uploads

        # Extraction imports nothing of webhooks: it tells, webhooks listens.
        callbacks.register(uploads.UploadCallbacks())
        job_finished.connect(events.jobs_finished, dispatch_uid="webhooks.jobs_finished")
