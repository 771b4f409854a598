"""System checks of the extraction app."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def encryption_keys_set(app_configs, **kwargs):
    """`check --deploy`: uploads must not be sealed with the development fallback key."""
    if settings.ENCRYPTION_KEYS:
        return []
    return [
        checks.Warning(
            "ENCRYPTION_KEYS is not set: uploads and cached extraction results are "
            "encrypted with a development key derived from SECRET_KEY, which only "
            "DEBUG allows (with DEBUG off the product refuses to start).",
            hint="Set ENCRYPTION_KEYS to a Fernet key (docs/deploy.md, Encryption at rest).",
            id="cv2web.W001",
        )
    ]
