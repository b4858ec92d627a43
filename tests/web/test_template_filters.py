"""The template filters all speak for one locale: the clinic's, from settings or from whoever supplies it."""

from __future__ import annotations

import datetime as dt

from clinic.core.locale import Locale
from clinic.settings import Settings
from clinic.web.templating import template_config

UTC = dt.timezone.utc
TEMPLATE = ("{{ at | clinic_date }}|{{ at | time_of_day }}|{{ at | local | long_date }}|{{ phone | phone }}|"
            "{{ fee | money }}|{{ fee | money('EUR') }}|{{ none | money }}|{{ clinic_locale().timezone }}")


def render(config, **values) -> list[str]:
    env = config.engine_instance.engine
    return env.from_string(TEMPLATE).render(**values).split("|")


VALUES = {"at": dt.datetime(2024, 3, 6, 2, 30, tzinfo=UTC), "phone": "+14155550123", "fee": 123456, "none": None}


def test_the_filters_use_the_settings_of_a_us_clinic():
    settings = Settings(country="US", timezone="America/New_York", date_order="MDY", units="us", currency="USD")
    assert render(template_config(settings), **VALUES) == [
        "03/05/2024", "9:30 PM", "Tue, Mar 5, 2024", "(415) 555-0123", "$1,234.56", "€1,234.56", "",
        "America/New_York"]


def test_the_filters_use_the_settings_of_a_german_clinic():
    settings = Settings(country="DE", timezone="Europe/Berlin", date_order="DMY", units="metric", currency="EUR")
    shown = render(template_config(settings), **VALUES)
    assert shown[:2] == ["06/03/2024", "03:30"]
    assert shown[2].startswith("Wed") and shown[3] == "+1 415-555-0123"
    assert shown[4] == shown[5] == "1.234,56\u00a0€"


def test_the_filters_follow_a_locale_that_changes_while_the_app_runs():
    current = {"locale": Locale.for_country("US", "America/New_York")}
    config = template_config(Settings(), clinic_locale=lambda: current["locale"])
    assert render(config, **VALUES)[1] == "9:30 PM"
    current["locale"] = current["locale"].with_overrides(timezone="Asia/Kolkata", currency="INR", clock=24)
    assert render(config, **VALUES)[1] == "08:00"
    assert render(config, **VALUES)[4] == "₹1,234.56"
