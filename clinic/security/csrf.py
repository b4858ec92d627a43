"""CSRF tokens bound to the session.

Litestar's CSRF middleware checks a double-submit cookie that has nothing to
do with who is signed in, so a token from an anonymous page worked with a
doctor's session. Here the token a request must echo depends on the session:

- signed in (or part way, owing a step): an HMAC, under a key derived from
  the secret key, of the session's id and start. Every sign-in starts a new
  session, so it gets a new token, and a token from before sign-in (or from
  another session) is refused. It stays the same for the session's life, so
  open tabs keep working when the session's cookie is renewed (after the
  second step, a password change).
- not signed in (the sign-in form): double submit, an HMAC of a random cookie
  that is set with the first page.

Every POST (any method but GET, HEAD and OPTIONS) is checked, except on the
sessionless routes (health, static files), and except a request without a
session to a route that needs one: the guard sends that to sign-in without
running it, so a form left open past the idle timeout says "sign in again",
not "forbidden". The token comes in the ``x-csrftoken`` header (htmx, from
``<meta name="csrf-token">``) or the ``_csrf_token`` form field; templates
get it from Litestar's ``csrf_token()`` and ``csrf_input``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from litestar import Request
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.utils.scope.state import ScopeState

from clinic.core.crypto import derive_key
from clinic.security.middleware import read_cookie
from clinic.security.sessions import CurrentUser

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
HEADER = "x-csrftoken"
FIELD = "_csrf_token"
REFUSED = "This form has expired or did not come from this site. Reload the page and try again."


def cookie_name(production: bool) -> str:
    return "__Host-csrftoken" if production else "csrftoken"


@lru_cache(maxsize=4)
def _key(secret_key: str) -> bytes:
    return derive_key(secret_key, "csrf-tokens")


def _sign(secret_key: str, message: str) -> str:
    return hmac.new(_key(secret_key), message.encode("utf-8"), hashlib.sha256).hexdigest()


def session_token(secret_key: str, user: CurrentUser) -> str:
    # The start time too: a session id could come round again once old sessions are deleted.
    return _sign(secret_key, f"session:{user.session_id}:{user.started_at.isoformat()}")


def anonymous_token(secret_key: str, cookie: str) -> str:
    return _sign(secret_key, f"anonymous:{cookie}")


async def _sent_token(scope, receive) -> str:
    request: Request = scope["litestar_app"].request_class(scope=scope, receive=receive)
    token = request.headers.get(HEADER, "")
    if not token and request.content_type[0] in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
        # Parsed once and kept with the request, so the handler reads the same form.
        value = (await request.form()).get(FIELD, "")
        token = value if isinstance(value, str) else ""
    return token


def csrf_middleware(app):
    """Place after the session middleware: the token depends on who is signed in."""

    async def middleware(scope, receive, send):
        if scope["type"] != "http" or scope["route_handler"].opt.get("sessionless"):
            await app(scope, receive, send)
            return
        handler_opt = scope["route_handler"].opt
        settings = scope["app"].state.settings
        secret_key, production = settings.secret_key, settings.is_production
        name = cookie_name(production)
        cookie = (read_cookie(scope, name) or "")[:128]
        user: CurrentUser | None = scope.get("user")
        new_cookie = ""
        if not cookie and scope["method"] in SAFE_METHODS:
            cookie = new_cookie = secrets.token_urlsafe(32)
        expected = session_token(secret_key, user) if user else anonymous_token(secret_key, cookie) if cookie else ""
        # For the page, and for the error page if the check below fails.
        ScopeState.from_scope(scope).csrf_token = expected

        if scope["method"] not in SAFE_METHODS and (user or handler_opt.get("public")):
            sent = await _sent_token(scope, receive)
            if not (expected and sent and hmac.compare_digest(sent, expected)):
                raise PermissionDeniedException(detail=REFUSED)
        if not new_cookie:
            await app(scope, receive, send)
            return

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message).add("set-cookie", Cookie(
                    key=name, value=new_cookie, path="/", secure=production, httponly=True, samesite="lax",
                ).to_header(header=""))
            await send(message)

        await app(scope, receive, send_with_cookie)

    return middleware
