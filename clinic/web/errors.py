"""Error pages: full pages for browsers, fragments for HTMX swaps.

A fragment is retargeted at the page's ``#alerts`` area, so a failed HTMX
request shows a message instead of a half-swapped screen. Tracebacks are shown
only in development; elsewhere a 500 says what to do, not what broke.
"""

from __future__ import annotations

import datetime as dt
import traceback

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from clinic.core.crypto import DecryptionFailed, KeyNotInRing
from clinic.db.errors import DatabaseUnavailable
from clinic.web.degraded import kept_day_sheet
from clinic.web.pages import Page, wants_fragment
from clinic.web.rate_limits import RateLimited
from clinic.web.timeouts import RequestTimedOut

logger = structlog.get_logger("clinic.errors")

TITLES = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Please sign in", "Your session has ended or you are not signed in."),
    403: ("Not allowed", "Your role does not allow this. Ask an administrator if you need it."),
    404: ("Not found", "There is nothing at this address. It may have been moved, or the link is wrong."),
    405: ("Not allowed here", "This address does not accept that kind of request."),
    413: ("Too large", "What you sent is larger than the clinic accepts."),
    429: ("Too many attempts", "Please wait a moment before trying again."),
    500: ("Something went wrong", "The problem has been logged. Please try again; if it keeps happening, tell your administrator."),
    503: ("Temporarily unavailable", "The clinic's database is not answering right now. This page will work again as soon as it is back; nothing you saved has been lost."),
}


def error_page(request: Request, status_code: int, *, detail: str | None = None, debug_trace: str | None = None,
               headers: dict[str, str] | None = None, explained: tuple[str, str] | None = None) -> Response:
    title, message = explained or TITLES.get(status_code, (f"Error {status_code}", "The request failed."))
    if status_code == 503 and detail:
        # Up, but not ready (e.g. not migrated): the detail says what to do.
        title, message, detail = "Not ready", detail, None
    fragment = wants_fragment(request)
    response_headers = {"Vary": "HX-Request", **(headers or {})}
    if fragment:
        response_headers.update({"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML"})
    if status_code == 503 and not explained:
        response_headers.setdefault("Retry-After", "5")
    return Page(
        "errors/error.html",
        block="error" if fragment else None,
        context={"status_code": status_code, "title": title, "message": message, "detail": detail,
                 "debug_trace": debug_trace},
        status_code=status_code,
        headers=response_headers,
        media_type="text/html",
    )


def redirect_handler(request: Request, exc) -> Response:
    """Sign-in, a step still owed, or a password confirmation: go there.

    A page gets a 303; an HTMX request gets HX-Redirect (with 401 when not
    signed in), so htmx navigates instead of swapping a login form into a
    fragment.
    """
    if request.headers.get("hx-request") == "true":
        return Response(b"", status_code=exc.htmx_status, headers={"HX-Redirect": exc.location})
    return Redirect(exc.location, status_code=303)


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    status_code = exc.status_code
    detail = exc.detail if status_code in (400, 403, 409, 422, 503) and exc.detail != TITLES.get(status_code, ("",))[0] else None
    if request.headers.get("accept", "").startswith("application/json"):
        return Response({"status": status_code, "detail": exc.detail}, status_code=status_code, headers=exc.headers)
    return error_page(request, status_code, detail=detail, headers=exc.headers)


def database_unavailable_handler(request: Request, exc: DatabaseUnavailable) -> Response:
    logger.warning("database unavailable", reason=exc.reason, route=request.scope.get("path_template"))
    sheet = day_sheet_for(request)
    if sheet is not None:
        return day_sheet_page(request, sheet)
    return error_page(request, 503)


def day_sheet_for(request: Request):
    """The read-only sheet this session last saw of the day asked for, if the route keeps one."""
    handler = request.scope.get("route_handler")
    view = handler.opt.get("day_sheet") if handler is not None else None
    if not view:
        return None
    locale = request.app.state.locale
    asked = request.scope.get("path_params", {}).get("day")
    try:
        day = dt.date.fromisoformat(asked) if isinstance(asked, str) else locale.today()
    except ValueError:
        return None
    if day != locale.today():
        return None
    return kept_day_sheet(request, view, day)


def day_sheet_page(request: Request, sheet) -> Response:
    locale = request.app.state.locale
    headers = {"Vary": "HX-Request", "Retry-After": "5", "Cache-Control": "no-store"}
    if wants_fragment(request):
        # htmx wanted a piece of the live book: load the whole read-only page instead.
        return Response(b"", status_code=503, headers={**headers, "HX-Redirect": request.url.path})
    return Page(
        "errors/day_sheet.html",
        context={"sheet": sheet, "as_of": locale.format_time(sheet.taken_at)},
        status_code=503,
        headers=headers,
        media_type="text/html",
    )


def decryption_failed_handler(request: Request, exc: DecryptionFailed) -> Response:
    """A stored value that cannot be read: say which key is missing, not "something went wrong".

    The log names the key id and where the value lives (table.column.row id),
    never the value.
    """
    missing = isinstance(exc, KeyNotInRing)
    logger.error("stored value cannot be decrypted", key_id=exc.key_id, where=exc.context,
                 reason="key not in CLINIC_ENCRYPTION_KEYS" if missing else "altered or moved",
                 route=request.scope.get("path_template"))
    if missing:
        explained = ("Encryption key missing",
                     f"Some stored data is encrypted with key “{exc.key_id}”, which this server is not given. "
                     f"Tell your administrator: CLINIC_ENCRYPTION_KEYS must include key {exc.key_id} "
                     "(`clinic check` lists what is missing).")
    else:
        explained = ("Stored data cannot be read",
                     "A stored value does not match where it is kept: it was altered or copied from elsewhere. "
                     "The problem has been logged; tell your administrator.")
    return error_page(request, 503, explained=explained)


def request_timed_out_handler(request: Request, exc: RequestTimedOut) -> Response:
    logger.warning("request timed out", route=request.scope.get("path_template"), seconds=exc.seconds)
    request.scope.setdefault("state", {})["error_class"] = "RequestTimedOut"
    explained = ("Taking too long",
                 f"The clinic stopped this after {exc.seconds:g} seconds so it would not keep you waiting. "
                 "If you were saving something, check whether it was saved before trying again; "
                 "if this keeps happening, tell your administrator.")
    return error_page(request, 503, explained=explained, headers={"Retry-After": "10"})


def rate_limited_handler(request: Request, exc: RateLimited) -> Response:
    limit = exc.limit
    explained = (f"Too many {limit.noun}",
                 f"You have reached the limit of {limit.most} {limit.noun} per {limit.per} for one person. "
                 f"Please wait {exc.retry_after} seconds and try again.")
    return error_page(request, 429, explained=explained, headers={"Retry-After": str(exc.retry_after)})


def server_error_handler(debug: bool):
    def handle(request: Request, exc: Exception) -> Response:
        # The type and the stack go to the log, never the message: messages
        # can carry form values and other PHI.
        logger.error(
            "unhandled error",
            error=type(exc).__name__,
            route=request.scope.get("path_template"),
            # Where it broke (file, line, function), not the source lines.
            stack=" < ".join(
                f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} {frame.name}"
                for frame in reversed(traceback.extract_tb(exc.__traceback__)[-6:])
            ),
        )
        # For the System page's recent errors (the class only, like the log).
        request.scope.setdefault("state", {})["error_class"] = type(exc).__name__
        trace = "".join(traceback.format_exception(exc)) if debug else None
        return error_page(request, 500, debug_trace=trace)

    return handle
