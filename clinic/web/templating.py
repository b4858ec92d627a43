"""The Jinja2 environment: autoescaping, strict undefined, helpers for templates."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from clinic import __version__
from clinic.paths import STATIC_DIR, TEMPLATES_DIR
from clinic.settings import Settings

MACRO_MODULES = {"ui": "macros/ui.html", "forms": "macros/forms.html"}
TWELVE_HOUR_COUNTRIES = {"US", "CA", "AU", "NZ", "PH", "IN", "EG", "SA", "PK", "BD", "MY", "CO"}


class StaticFiles:
    """Cache-busting URLs: ``/static/app.css?v=<content hash>``.

    Static files are served with a year-long cache lifetime; the hash in the
    URL changes whenever the file does, so browsers never run stale code.
    """

    def __init__(self, directory: Path, *, watch: bool):
        self.directory = directory
        self.watch = watch
        self._hashes: dict[str, tuple[float, str]] = {}

    def url(self, name: str) -> str:
        path = self.directory / name
        mtime = path.stat().st_mtime if self.watch or name not in self._hashes else self._hashes[name][0]
        cached = self._hashes.get(name)
        if cached is None or cached[0] != mtime:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            cached = self._hashes[name] = (mtime, digest)
        return f"/static/{name}?v={cached[1]}"


def template_config(settings: Settings, filters: dict | None = None) -> TemplateConfig:
    """``filters``: what domains add (the app passes the MRN format, say)."""
    static = StaticFiles(STATIC_DIR, watch=not settings.is_production)
    zone = ZoneInfo(settings.timezone)

    def local(value: dt.datetime | None) -> dt.datetime | None:
        """A stored (UTC) time in the clinic's time zone."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(zone)

    twelve_hour = settings.country in TWELVE_HOUR_COUNTRIES

    def time_of_day(value: dt.datetime | None) -> str:
        """A time as the clinic reads clocks: 2:15 PM in the US, 14:15 elsewhere."""
        value = local(value)
        if not value:
            return ""
        if twelve_hour:
            return value.strftime("%I:%M %p").lstrip("0")
        return value.strftime("%H:%M")

    def phone(value: str) -> str:
        from clinic.patients.normalise import format_phone

        return format_phone(value or "", settings.country)

    def clinic_date(value: dt.date | dt.datetime | None) -> str:
        """A date (or a stored time's local date) in the clinic's usual order."""
        from clinic.patients.normalise import format_date

        if isinstance(value, dt.datetime):
            value = local(value).date()
        return format_date(value, settings.date_order)

    def long_date(value: dt.date | dt.datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            value = local(value)
        return f"{value:%a} {value.day} {value:%b %Y}"

    def configure(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        env.undefined = StrictUndefined
        env.trim_blocks = True
        env.lstrip_blocks = True
        env.globals.update(
            static_url=static.url,
            app_version=__version__,
            clinic_timezone=settings.timezone,
            is_production=settings.is_production,
        )
        env.filters.update(local=local, time_of_day=time_of_day, long_date=long_date, clinic_date=clinic_date,
                           phone=phone, **(filters or {}))
        # Macros as globals: a block rendered alone for HTMX does not run the
        # page's top-level {% import %} lines, so imports there would vanish.
        for name, path in MACRO_MODULES.items():
            if (TEMPLATES_DIR / path).exists():
                env.globals[name] = env.get_template(path).module

    return TemplateConfig(directory=TEMPLATES_DIR, engine=JinjaTemplateEngine, engine_callback=configure)
