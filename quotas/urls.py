"""Account pages under /accounts/ (SPEC Q-5)."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _

from . import views
from .forms import ConfirmedPasswordResetForm
from .ratelimits import limit_logins, limit_posts

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    # Log-in, sign-up and password-reset limits never fail open: without the
    # cache they count in the database (quotas.ratelimits). The admin's log-in
    # shares the "login" budget (cv2web/urls.py).
    path(
        "signup/",
        limit_posts("signup", "RATELIMIT_LOGIN", _("sign-up attempts"), fail_closed=True)(
            views.signup
        ),
        name="signup",
    ),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("confirm/", views.confirm_email, name="confirm_email"),
    path("confirm/<str:token>/", views.confirm_email_link, name="confirm_email_link"),
    path(
        "login/",
        limit_logins(
            auth_views.LoginView.as_view(
                template_name="accounts/login.html", redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    # Django's LogoutView answers POST only.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change_form.html",
            success_url=reverse_lazy("accounts:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    # An unknown address gets the same redirect and page as a known one, and no mail.
    path(
        "password/reset/",
        limit_posts(
            "password-reset",
            "RATELIMIT_PASSWORD_RESET",
            _("password reset requests"),
            fail_closed=True,
        )(
            auth_views.PasswordResetView.as_view(
                form_class=ConfirmedPasswordResetForm,
                template_name="accounts/password_reset_form.html",
                subject_template_name="registration/password_reset_subject.txt",
                email_template_name="registration/password_reset_email.txt",
                html_email_template_name="registration/password_reset_email.html",
                success_url=reverse_lazy("accounts:password_reset_done"),
            )
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("tokens/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
