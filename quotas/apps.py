from django.apps import AppConfig


class QuotasConfig(AppConfig):
    name = "quotas"
    verbose_name = "Quotas and accounts"

    def ready(self) -> None:
        # Imported here: the receivers import models (the AppConfig.ready() idiom).
        from . import signals  # noqa: F401  (connect the receivers)
