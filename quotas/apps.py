from django.apps import AppConfig


class QuotasConfig(AppConfig):
    name = "quotas"
    verbose_name = "Quotas and accounts"

    def ready(self) -> None:
        # Imported here: the receivers import models (the AppConfig.ready() idiom).
        from django.contrib.auth import get_user_model

        from cv2web import stamps

        from . import signals  # noqa: F401  (connect the receivers)
        from .models import Account, ApiToken

        # What a kept poll's caller is (extraction.polls): its token, account, user.
        for model in (ApiToken, Account, get_user_model()):
            stamps.connect_model(model, "auth")
