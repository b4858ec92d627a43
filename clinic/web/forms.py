"""Reading a posted form: the values as typed (stripped), secrets never echoed.

The form's fields are declared in ``clinic.core.forms``; services raise
``Invalid``; screens re-render the form with the input kept and the errors
beside their fields. Nothing typed is lost.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from clinic.core.forms import Form

SECRET_FIELDS = {"password", "new_password", "confirm_password", "current_password", "code", "recovery_code",
                 "_csrf_token"}
MAX_FIELD_LENGTH = 20_000


async def read_form(request: Request) -> Form:
    """The posted fields as stripped strings (passwords exactly as typed)."""
    data = await request.form()
    values: dict[str, Any] = {}
    for key in data.keys():
        items = data.getall(key)
        value = items[-1] if items else ""
        if not isinstance(value, str):
            continue
        value = value[:MAX_FIELD_LENGTH]
        values[key] = value if key in SECRET_FIELDS else value.strip()
    values.pop("_csrf_token", None)
    return Form(values=values)


def without_secrets(form: Form) -> Form:
    """For re-rendering: never echo a password or a code back into a page."""
    return Form(values={k: v for k, v in form.values.items() if k not in SECRET_FIELDS}, errors=form.errors)
