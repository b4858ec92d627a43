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
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException
from litestar.logging.config import StructLoggingConfig
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin
from piccolo.engine.base import Engine

from clinic.access_report.controllers import AccessReportController
from clinic.accounts.account_controllers import AccountController
from clinic.accounts.controllers import SessionController, SignInController
from clinic.admin.audit_controllers import AuditController
from clinic.admin.security_controllers import SecurityController
from clinic.audit import checkpoints
from clinic.audit import services as audit
from clinic.billing.controllers import BillingController
from clinic.billing.patient_controllers import PatientBillingController
from clinic.claims.controllers import ClaimsController
from clinic.claims.eligibility_controllers import EligibilityController
from clinic.clinical.controllers import ClinicalController
from clinic.core.crypto import DecryptionFailed
from clinic.core.locale import Locale
from clinic.dashboard.controllers import DashboardController
from clinic.db import DatabaseUnavailable, is_mysql
from clinic.documents.controllers import DocumentController
from clinic.exports import services as exports
from clinic.exports.controllers import ExportsController
from clinic.ops import alerts
from clinic.ops.background import clinic_jobs, start_inline_worker, stop_inline_worker
from clinic.ops.backups import jobs as backup_jobs
from clinic.ops.backups_screen import BackupsController
from clinic.ops.controllers import HealthController
from clinic.ops.jobs_screen import JobsController
from clinic.ops.metrics import MetricsController
from clinic.ops.readiness import Readiness, refuse_until_migrated
from clinic.ops.system_screen import SystemController
from clinic.paths import STATIC_DIR
from clinic.patients.controllers import PatientRecordController, PatientsController
from clinic.patients.identifiers import format_mrn
from clinic.patients.insurance_controllers import InsuranceController
from clinic.piccolo_app import bind_tables, create_engine
from clinic.practice import controllers as practice
from clinic.practice import services as practice_services
from clinic.practice.controllers import PracticeController
from clinic.prescriptions.controllers import DrugSearchController, PrescriptionController
from clinic.records.chart_controllers import ChartController
from clinic.reports.controllers import ReportsController
from clinic.reminders import config as reminders
from clinic.reminders.controllers import (
    CalendarFeedController,
    CalendarFeedPublic,
    ReminderLinkController,
    ReminderLogController,
    ReminderWordingController,
)
from clinic.scheduling.appointment_controllers import AppointmentController
from clinic.scheduling.book_controllers import BookController
from clinic.scheduling.finding_controllers import FindingController
from clinic.scheduling.phone import MyDayController
from clinic.scheduling.series_controllers import OccurrenceController, SeriesController
from clinic.scheduling.setup_controllers import BookSetupController
from clinic.scheduling.waitlist_controllers import WaitlistController
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
from clinic.web.degraded import DaySheets
from clinic.web.errors import (
    database_unavailable_handler,
    decryption_failed_handler,
    http_exception_handler,
    rate_limited_handler,
    redirect_handler,
    request_timed_out_handler,
    server_error_handler,
)
from clinic.web.logging import logger_factory, structlog_processors
from clinic.web.metrics import RequestMetrics
from clinic.web.query_count import with_query_count
from clinic.web.rate_limits import STORE as USER_RATE_STORE
from clinic.web.rate_limits import ProcessCounts, RateLimited, limits_by_route, user_rate_limit_middleware
from clinic.web.security_headers import security_headers_hook
from clinic.web.static import static_assets, static_files_handler
from clinic.web.templating import template_config
from clinic.web.timeouts import RequestTimedOut, timeout_middleware

# Attempts per client address per minute on the forms that take a password or code.
SIGN_IN_RATE = ("minute", 20)
RATE_LIMITED_PATHS = {"/signin", "/signin/mfa", "/account/confirm", "/account/password"}


def is_credential_attempt(request: Request) -> bool:
    """Sign-in forms, and public routes that take a secret in their address (reminder links, calendar feeds)."""
    if request.scope["route_handler"].opt.get("rate_limited"):
        return True
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
    reminders.configure(settings)
    backup_jobs.configure(settings)
    exports.configure(settings)
    request_metrics = RequestMetrics()
    started = time.monotonic()
    alerts.configure(settings, engine, request_metrics, started)
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

    practice_defaults = {"name": settings.clinic_name, "timezone": settings.timezone, "currency": settings.currency}
    practice_services.use_defaults(practice_defaults)
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
            BookSetupController,
            BookController,
            AppointmentController,
            SeriesController, OccurrenceController, FindingController, WaitlistController,
            AuditController,
            JobsController,
            BackupsController,
            ExportsController,
            PatientsController,
            PatientRecordController,
            InsuranceController,
            ChartController,
            AccessReportController,
            ClinicalController,
            MyDayController,
            ReminderLinkController,
            ReminderLogController,
            ReminderWordingController,
            CalendarFeedController,
            CalendarFeedPublic,
            VisitController,
            CodesController,
            NoteTemplatesController,
            UnsignedNotesController,
            PrescriptionController,
            DrugSearchController,
            DocumentController,
            BillingController,
            PatientBillingController,
            ClaimsController,
            MetricsController,
            SystemController,
            ReportsController,
            EligibilityController,
            # From memory, gzipped once, behind content-hash URLs (clinic/web/static.py).
            static_files_handler(static_assets(STATIC_DIR, watch=not production),
                                 opt={"public": True, "sessionless": True, "precompressed": True}),
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
            "practice_defaults": practice_defaults,
            "jobs": clinic_jobs(),
            # Today's book as each session last saw it, for database outages (memory only).
            "day_sheets": DaySheets(),
            "started": started,
            # Request counts and latency for /metrics, the System page and alerts (clinic/web/metrics.py).
            "request_metrics": request_metrics,
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
            # Outermost: the session look-up and everything after it count towards the time allowed.
            timeout_middleware(settings.request_timeout_seconds),
            RateLimitConfig(rate_limit=SIGN_IN_RATE, check_throttle_handler=is_credential_attempt,
                            identifier_for_request=client_address, store="rate_limit").middleware,
            session_middleware,
            csrf_middleware,
            user_rate_limit_middleware(limits_by_route(settings.search_rate_per_minute,
                                                       settings.export_rate_per_hour)),
        ],
        # Sign-in attempts are counted in the database whatever it is (rare, and an attacker must not get
        # twice the allowance); searches only on MySQL, where several instances may serve.
        stores={"rate_limit": DatabaseStore("rate_limit"),
                USER_RATE_STORE: DatabaseStore(USER_RATE_STORE) if is_mysql(engine) else ProcessCounts()},
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
        compression_config=CompressionConfig(backend="gzip", minimum_size=512, gzip_compress_level=6,
                                             exclude_opt_key="precompressed"),
        exception_handlers={
            RedirectRequired: redirect_handler,
            HTTPException: http_exception_handler,
            DatabaseUnavailable: database_unavailable_handler,
            DecryptionFailed: decryption_failed_handler,
            RequestTimedOut: request_timed_out_handler,
            RateLimited: rate_limited_handler,
            Exception: server_error_handler(debug=not production),
        },
        openapi_config=None,
        debug=False,
        request_max_body_size=2 * 1024 * 1024,
    )
    # Litestar runs middleware only for matched routes; the access log must
    # see every request, so it wraps the root handler.
    app.asgi_handler = with_access_log(app.asgi_handler, request_metrics)
    if settings.count_queries:
        app.asgi_handler = with_query_count(app.asgi_handler)
    built["app"] = app
    return app
