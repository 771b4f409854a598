"""API token authentication: `Authorization: Token <key>`, keys stored hashed."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .models import ApiToken


class ApiTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str):
        token = ApiToken.find(key)
        if token is None or not token.user.is_active:
            raise AuthenticationFailed("Invalid or revoked API token.")
        self.touch(token)
        return token.user, token

    @staticmethod
    def touch(token: ApiToken) -> None:
        """Note the token's use: at most one write a minute per token, not one
        per request."""
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
