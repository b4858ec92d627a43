"""Sign-in and account forms, declared once (see clinic.core.forms)."""

from __future__ import annotations

from clinic.core.forms import Field, FormSpec

CODE = Field("code", "Code from your authenticator app", required=True, max_length=12, autocomplete="one-time-code")

SIGN_IN_FORM = FormSpec((
    Field("email", "Email", kind="email", required=True, max_length=254, autocomplete="username"),
    Field("password", "Password", kind="password", required=True, max_length=1000, autocomplete="current-password"),
))

MFA_FORM = FormSpec((
    Field("code", "Authentication code", max_length=12, autocomplete="one-time-code"),
    Field("recovery_code", "Recovery code", max_length=40,
          hint="One of the ten codes you saved when you set up two-step sign-in. Each works once."),
))

MFA_SETUP_FORM = FormSpec((Field("code", "Code from the app", required=True, max_length=12,
                                 autocomplete="one-time-code"),))

CONFIRM_FORM = FormSpec((
    Field("password", "Password", kind="password", required=True, max_length=1000, autocomplete="current-password"),
    CODE,
))

PASSWORD_FORM = FormSpec((
    Field("current_password", "Current password", kind="password", required=True, max_length=1000,
          autocomplete="current-password"),
    Field("new_password", "New password", kind="password", required=True, max_length=1000,
          autocomplete="new-password", hint="At least 12 characters. Several unrelated words work well."),
    Field("confirm_password", "New password again", kind="password", required=True, max_length=1000,
          autocomplete="new-password"),
))
