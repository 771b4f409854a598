"""Account forms: sign-up and API tokens (log-in and passwords use Django's own)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import mail
from .models import Account, ApiToken


class SignUpForm(UserCreationForm):
    """Username, email (required: it is how a forgotten password comes back), password twice.

    Whether the address already has an account is never said (SPEC S-5): both
    cases get the same page, and the mail tells the address's owner.
    """

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_(
            "We mail you a link to confirm it. Only for password resets and notices "
            "about your portfolios."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()

    def register(self):
        """Create the unconfirmed account and mail a confirmation link, or, when the
        address has an account already, mail its owner instead. Returns the new
        user, or None (no account was created)."""
        email = self.cleaned_data["email"]
        user = None
        if not get_user_model().objects.filter(email__iexact=email).exists():
            try:
                user = self._create(email)
            except IntegrityError:
                # The username was taken between the form's check and the insert.
                self.add_error("username", gettext("A user with that username already exists."))
                return None
        if user is None:
            # One account per address, or a reset mail would go to several
            # accounts. The same work as creating one (a password hash and a
            # mail), so that the time of the answer tells nothing either.
            make_password(self.cleaned_data["password1"])
            mail.notify_signup_attempt(email)
            return None
        mail.request_confirmation(email)
        return user

    def _create(self, email: str):
        with transaction.atomic():
            user = self.save()  # the Account comes from the post_save signal
            # Until the address answers, the account is an anonymous visitor's.
            Account.objects.filter(user=user).update(confirmed=False)
            if not mail.claim_for_signup(email, user):
                transaction.set_rollback(True)
                return None
        return user


class ConfirmedPasswordResetForm(PasswordResetForm):
    """Django's reset form, minus accounts whose address never confirmed.

    A reset mail names the account (a username the sign-up chose); until the
    address confirms it gets the confirmation mail instead (at most daily),
    after which a reset works.
    """

    def get_users(self, email):
        for user in super().get_users(email):
            if Account.for_user(user).confirmed:
                yield user
            else:
                mail.request_confirmation(user.email)


class TokenCreateForm(forms.Form):
    MAX_ACTIVE = 20

    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What will use it, e.g. “laptop script” or “CI”. Only you see it."),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        if ApiToken.objects.active().filter(user=self.user).count() >= self.MAX_ACTIVE:
            raise forms.ValidationError(
                gettext(
                    "You already have %(count)d active tokens. Revoke one you no longer "
                    "use, then create a new one."
                )
                % {"count": self.MAX_ACTIVE}
            )
        return cleaned

    def issue(self) -> tuple[ApiToken, str]:
        return ApiToken.issue(self.user, self.cleaned_data["name"].strip())
