"""How this process delivers reminders, set once from the settings at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field

from clinic.core.locale import Locale
from clinic.reminders import links
from clinic.reminders.delivery import Delivery


@dataclass
class Config:
    delivery: Delivery = field(default_factory=Delivery)
    # Links in messages start with this (CLINIC_PUBLIC_URL).
    public_url: str = "http://localhost:8000"
    base_locale: Locale = field(default_factory=lambda: Locale.for_country("US", "UTC"))
    # The environment's clinic name, zone and currency: a first read of the practice settings stores them.
    practice_defaults: dict = field(default_factory=dict)


current = Config()


def configure(settings) -> None:
    """Called by the app and by `clinic worker` with the loaded settings."""
    current.delivery = Delivery(smtp_url=settings.smtp_url, sms_webhook_url=settings.sms_webhook_url)
    current.public_url = settings.public_url or f"http://localhost:{settings.port}"
    current.base_locale = Locale.from_settings(settings)
    current.practice_defaults = {"name": settings.clinic_name, "timezone": settings.timezone,
                                 "currency": settings.currency}
    links.configure(settings.secret_key)


def use_delivery(delivery: Delivery) -> None:
    """Tests point delivery at their local servers."""
    current.delivery = delivery
