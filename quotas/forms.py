"""Account forms: sign-up and API tokens (log-in and passwords use Django's own)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from .models import ApiToken


class SignUpForm(UserCreationForm):
    """Username, email (required: it is how a forgotten password comes back), password twice."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="Only for password resets and notices about your portfolios.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        # One account per address, or a reset mail would go to several accounts.
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Log in, or reset its password."
            )
        return email


class TokenCreateForm(forms.Form):
    MAX_ACTIVE = 20

    name = forms.CharField(
        label="Token name",
        max_length=100,
        help_text="What will use it, e.g. “laptop script” or “CI”. Only you see it.",
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        if ApiToken.objects.active().filter(user=self.user).count() >= self.MAX_ACTIVE:
            raise forms.ValidationError(
                f"You already have {self.MAX_ACTIVE} active tokens. Revoke one you no longer "
                "use, then create a new one."
            )
        return cleaned

    def issue(self) -> tuple[ApiToken, str]:
        return ApiToken.issue(self.user, self.cleaned_data["name"].strip())
