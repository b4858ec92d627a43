"""Errors that services raise and screens show: a rule was not met."""

from __future__ import annotations


class Invalid(Exception):
    """One or more fields are wrong; ``errors`` maps field name to message.

    Services raise it; screens re-render the form with the input kept and the
    messages beside their fields. The message never carries the value typed.
    """

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors
