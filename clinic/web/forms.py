"""Form handling shared by every screen: values kept, errors inline.

Services raise ``Invalid`` with a message per field; controllers re-render
the form with the user's input and those messages. Nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request


@dataclass
class Form:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def get(self, name: str, default: str = "") -> str:
        value = self.values.get(name, default)
        return value if isinstance(value, str) else default


SECRET_FIELDS = {"password", "new_password", "confirm_password", "current_password", "code", "_csrf_token"}


async def read_form(request: Request) -> Form:
    """The posted fields as stripped strings (passwords exactly as typed)."""
    data = await request.form()
    values: dict[str, Any] = {}
    for key in data.keys():
        items = data.getall(key)
        value = items[-1] if items else ""
        if not isinstance(value, str):
            continue
        values[key] = value if key in SECRET_FIELDS else value.strip()
    values.pop("_csrf_token", None)
    return Form(values=values)


def without_secrets(form: Form) -> Form:
    """For re-rendering: never echo a password back into a page."""
    return Form(values={k: v for k, v in form.values.items() if k not in SECRET_FIELDS}, errors=form.errors)
