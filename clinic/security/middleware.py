"""Who is asking: the session cookie becomes ``scope["user"]`` (or None).

A cookie we did not issue, or one whose session has ended, is ignored and
cleared in the response. The session's last-seen time moves on with every
request, except for routes marked ``passive`` (the idle-warning script asks
how much time is left without extending it). Routes marked ``sessionless``
(health, static files) skip all of this.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from litestar.datastructures import Cookie, MutableScopeHeaders

from clinic.security import sessions


def read_cookie(scope, name: str) -> str | None:
    for header, value in scope.get("headers", []):
        if header == b"cookie":
            try:
                jar = SimpleCookie(value.decode("latin-1"))
            except CookieError:
                return None
            if name in jar:
                return jar[name].value
    return None


def expired_cookie(name: str, production: bool) -> str:
    return Cookie(key=name, value="", max_age=0, expires=0, path="/", secure=production, httponly=True,
                  samesite="lax").to_header(header="")


def session_middleware(app):
    async def middleware(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        scope["user"] = None
        if scope["route_handler"].opt.get("sessionless"):
            # Health checks and static files: no database round trip, no user.
            await app(scope, receive, send)
            return
        state = scope["app"].state
        name = sessions.cookie_name(state.settings.is_production)
        token = read_cookie(scope, name)
        clear_cookie = False
        if token:
            user, reason = await sessions.load(token, state.session_policy)
            if user is None:
                clear_cookie = True
                scope.setdefault("state", {})["session_end_reason"] = reason
            else:
                scope["user"] = user
                scope.setdefault("state", {})["user_id"] = user.id
                if not scope["route_handler"].opt.get("passive"):
                    await sessions.touch(user)

        if not clear_cookie:
            await app(scope, receive, send)
            return

        async def send_clearing_cookie(message):
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                if not any(value.startswith(f"{name}=") for value in headers.getall("set-cookie", [])):
                    headers.add("set-cookie", expired_cookie(name, state.settings.is_production))
            await send(message)

        await app(scope, receive, send_clearing_cookie)

    return middleware
