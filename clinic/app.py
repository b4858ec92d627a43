"""The Litestar application, built from settings.

``create_app()`` reads the environment (uvicorn calls it as a factory);
tests call ``create_app(settings)`` once per database.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from litestar import Litestar, Request
from litestar.config.compression import CompressionConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.exceptions import HTTPException, NotFoundException
from litestar.logging.config import StructLoggingConfig
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin
from litestar.static_files import create_static_files_router
from piccolo.engine.base import Engine

from clinic.accounts.account_controllers import AccountController
from clinic.accounts.controllers import SessionController, SignInController
from clinic.admin.audit_controllers import AuditController
from clinic.admin.security_controllers import SecurityController
from clinic.audit import checkpoints
from clinic.audit import services as audit
from clinic.billing.controllers import BillingController
from clinic.billing.patient_controllers import PatientBillingController
from clinic.claims.controllers import ClaimsController
from clinic.clinical.controllers import ClinicalController
from clinic.core.crypto import DecryptionFailed
from clinic.core.locale import Locale
from clinic.dashboard.controllers import DashboardController
from clinic.db import DatabaseUnavailable
from clinic.ops.background import clinic_jobs, start_inline_worker, stop_inline_worker
from clinic.ops.controllers import HealthController
from clinic.ops.jobs_screen import JobsController
from clinic.ops.readiness import Readiness, refuse_until_migrated
from clinic.paths import STATIC_DIR
from clinic.patients.controllers import PatientRecordController, PatientsController
from clinic.patients.identifiers import format_mrn
from clinic.patients.insurance_controllers import InsuranceController
from clinic.piccolo_app import bind_tables, create_engine
from clinic.practice import controllers as practice
from clinic.practice.controllers import PracticeController
from clinic.records.chart_controllers import ChartController
from clinic.security import fields
from clinic.security.csrf import csrf_middleware
from clinic.security.guards import RedirectRequired, authorize
from clinic.security.middleware import session_middleware
from clinic.security.sessions import SessionPolicy
from clinic.security.store import DatabaseStore
from clinic.settings import Settings, load_settings
from clinic.staff.controllers import StaffController, StaffRedirects
from clinic.visits.controllers import VisitController
from clinic.visits.notes_controllers import CodesController, NoteTemplatesController, UnsignedNotesController
from clinic.web.access_log import with_access_log
from clinic.web.actors import client_address
from clinic.web.errors import (
    database_unavailable_handler,
    decryption_failed_handler,
    http_exception_handler,
    redirect_handler,
    server_error_handler,
)
from clinic.web.logging import logger_factory, structlog_processors
from clinic.web.query_count import with_query_count
from clinic.web.security_headers import security_headers_hook
from clinic.web.templating import template_config

STATIC_MAX_AGE = 365 * 24 * 3600
# Attempts per client address per minute on the forms that take a password or code.
SIGN_IN_RATE = ("minute", 20)
RATE_LIMITED_PATHS = {"/signin", "/signin/mfa", "/account/confirm", "/account/password"}


def is_credential_attempt(request: Request) -> bool:
    return request.method == "POST" and request.url.path in RATE_LIMITED_PATHS


# Ids in our tables are 32-bit on MySQL and fit in 63 bits on SQLite: anything
# larger in a URL names nothing, and must not reach a database driver.
LARGEST_ID = 2**31 - 1


def refuse_impossible_ids(request: Request) -> None:
    for value in request.path_params.values():
        if isinstance(value, int) and not 0 < value <= LARGEST_ID:
            raise NotFoundException()


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Litestar:
    settings = settings or load_settings()
    engine = engine or create_engine(settings)
    bind_tables(engine)
    audit.configure(settings.audit_key)
    checkpoints.configure(settings.audit_checkpoint_url)
    fields.configure(settings.keyring, settings.index_key)
    readiness = Readiness(engine)
    locale = Locale.from_settings(settings)
    built: dict[str, Litestar] = {}

    async def before_request(request: Request) -> None:
        refuse_impossible_ids(request)
        await refuse_until_migrated(request)
        if not request.route_handler.opt.get("sessionless"):
            # The clinic's name and ways, as an administrator last set them.
            await practice.refresh(request)

    async def open_database(app: Litestar) -> None:
        try:
            await engine.start_connection_pool()
            await readiness.refresh()
        except DatabaseUnavailable:
            # Serve 503 pages (and an honest /health) until it is back; the
            # engines reconnect on demand, so no restart is needed.
            logging.getLogger("clinic").warning("database unavailable at start-up")

    async def close_database(app: Litestar) -> None:
        await engine.close_connection_pool()

    production = settings.is_production

    app = Litestar(
        route_handlers=[
            DashboardController,
            HealthController,
            SignInController,
            SessionController,
            AccountController,
            StaffController,
            StaffRedirects,
            SecurityController,
            PracticeController,
            AuditController,
            JobsController,
            PatientsController,
            PatientRecordController,
            InsuranceController,
            ChartController,
            ClinicalController,
            VisitController,
            CodesController,
            NoteTemplatesController,
            UnsignedNotesController,
            BillingController,
            PatientBillingController,
            ClaimsController,
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR],
                name="static",
                cache_control=CacheControlHeader(max_age=STATIC_MAX_AGE, public=True, immutable=True),
                include_in_schema=False,
                opt={"public": True, "sessionless": True},
            ),
        ],
        state=State({
            "settings": settings,
            "engine": engine,
            "readiness": readiness,
            # The clinic's ways (time zone, currency...): the environment's until
            # the practice settings are read (clinic/practice).
            "locale": locale,
            "base_locale": locale,
            "clinic_name": settings.clinic_name,
            "practice_defaults": {"name": settings.clinic_name, "timezone": settings.timezone,
                                  "currency": settings.currency},
            "jobs": clinic_jobs(),
            "started": time.monotonic(),
            "session_policy": SessionPolicy(
                idle=dt.timedelta(minutes=settings.session_idle_minutes),
                lifetime=dt.timedelta(hours=settings.session_max_hours),
                reauth=dt.timedelta(minutes=settings.reauth_minutes),
            ),
        }),
        on_startup=[open_database, start_inline_worker],
        # In this order: the worker finishes its job while the database is still open.
        on_shutdown=[stop_inline_worker, close_database],
        before_request=before_request,
        before_send=[security_headers_hook(production)],
        guards=[authorize],
        middleware=[
            RateLimitConfig(rate_limit=SIGN_IN_RATE, check_throttle_handler=is_credential_attempt,
                            identifier_for_request=client_address, store="rate_limit").middleware,
            session_middleware,
            csrf_middleware,
        ],
        stores={"rate_limit": DatabaseStore("rate_limit")},
        template_config=template_config(settings, clinic_locale=lambda: built["app"].state.locale,
                                        filters={"mrn": format_mrn}),
        plugins=[
            HTMXPlugin(),
            StructlogPlugin(
                StructlogConfig(
                    structlog_logging_config=StructLoggingConfig(
                        processors=structlog_processors(settings),
                        logger_factory=logger_factory(),
                        log_exceptions="never",
                    ),
                    enable_middleware_logging=False,
                )
            ),
        ],
        compression_config=CompressionConfig(backend="gzip", minimum_size=512, gzip_compress_level=6),
        exception_handlers={
            RedirectRequired: redirect_handler,
            HTTPException: http_exception_handler,
            DatabaseUnavailable: database_unavailable_handler,
            DecryptionFailed: decryption_failed_handler,
            Exception: server_error_handler(debug=not production),
        },
        openapi_config=None,
        debug=False,
        request_max_body_size=2 * 1024 * 1024,
    )
    # Litestar runs middleware only for matched routes; the access log must
    # see every request, so it wraps the root handler.
    app.asgi_handler = with_access_log(app.asgi_handler)
    if settings.count_queries:
        app.asgi_handler = with_query_count(app.asgi_handler)
    built["app"] = app
    return app
