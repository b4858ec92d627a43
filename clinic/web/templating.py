"""The Jinja2 environment: autoescaping, strict undefined, helpers for templates."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from jinja2 import StrictUndefined
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from clinic import __version__
from clinic.core.forms import Form
from clinic.core.locale import Locale
from clinic.core.money import format_money
from clinic.paths import STATIC_DIR, TEMPLATES_DIR
from clinic.settings import Settings
from clinic.web.static import static_assets

MACRO_MODULES = {"ui": "macros/ui.html", "forms": "macros/forms.html"}


def template_config(settings: Settings, clinic_locale: Callable[[], Locale] | None = None,
                    filters: dict | None = None) -> TemplateConfig:
    """``clinic_locale`` answers the locale in force when a page renders (the
    practice settings may change it while the app runs); by default the one
    the environment describes. ``filters``: what domains add (the app passes
    the MRN format)."""
    static = static_assets(STATIC_DIR, watch=not settings.is_production)
    if clinic_locale is None:
        fixed = Locale.from_settings(settings)

        def clinic_locale() -> Locale:
            return fixed

    def local(value: dt.datetime | None) -> dt.datetime | None:
        """A stored (UTC) time in the clinic's time zone."""
        return clinic_locale().local(value)

    def time_of_day(value: dt.datetime | None) -> str:
        """A time as the clinic reads clocks: 2:15 PM in the US, 14:15 elsewhere."""
        return clinic_locale().format_time(value)

    def phone(value: str | None) -> str:
        return clinic_locale().format_phone(value)

    def clinic_date(value: dt.date | dt.datetime | None) -> str:
        """A date (or a stored time's local date) in the clinic's usual order."""
        return clinic_locale().format_date(value)

    def long_date(value: dt.date | dt.datetime | None) -> str:
        return clinic_locale().long_date(value)

    def money(amount: int | None, currency: str | None = None) -> str:
        """Minor units (cents) in the clinic's currency, or the one named: {{ fee | money }}."""
        if amount is None:
            return ""
        locale = clinic_locale()
        return format_money(amount, currency or locale.currency, locale)

    def configure(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        env.undefined = StrictUndefined
        env.trim_blocks = True
        env.lstrip_blocks = True
        # In production templates do not change under a running server: no stat of every
        # template (and each one it extends or includes) on every render.
        env.auto_reload = not settings.is_production
        env.globals.update(
            static_url=static.url,
            app_version=__version__,
            clinic_locale=clinic_locale,
            # A form filled with values, for small inline forms (an entry's status).
            filled=lambda **values: Form(values={name: str(value) for name, value in values.items()}),
        )
        env.filters.update(local=local, time_of_day=time_of_day, long_date=long_date, clinic_date=clinic_date,
                           money=money, phone=phone, **(filters or {}))
        # Macros as globals: a block rendered alone for HTMX does not run the
        # page's top-level {% import %} lines, so imports there would vanish.
        for name, path in MACRO_MODULES.items():
            if (TEMPLATES_DIR / path).exists():
                env.globals[name] = env.get_template(path).module

    return TemplateConfig(directory=TEMPLATES_DIR, engine=JinjaTemplateEngine, engine_callback=configure)
