"""The reminder wording screen's form, declared once (see clinic.core.forms)."""

from __future__ import annotations

from clinic.core.forms import Field, FormSpec
from clinic.reminders.wording import BODY_LIMIT, SUBJECT_LIMIT

EMAIL_FORM = FormSpec((
    Field("subject", "Subject", required=True, max_length=SUBJECT_LIMIT, wide=True),
    Field("body", "Message", kind="textarea", required=True, max_length=BODY_LIMIT["email"]),
))
SMS_FORM = FormSpec((
    Field("body", "Message", kind="textarea", required=True, max_length=BODY_LIMIT["sms"],
          hint="Keep it short: a text message holds about 160 characters, links included."),
))
SPECS = {"email": EMAIL_FORM, "sms": SMS_FORM}
