"""A request that runs too long is stopped and answered with a friendly 503, not left to hang.

The clock runs until the response starts: a download that has begun
streaming is not cut off halfway. The handler is cancelled, so a
transaction it had open is rolled back (our engines close a connection
cancelled mid-statement rather than reuse it).
"""

from __future__ import annotations

import asyncio

from litestar.types import ASGIApp, Receive, Scope, Send


class RequestTimedOut(Exception):
    def __init__(self, seconds: float):
        super().__init__(f"no response within {seconds:g} s")
        self.seconds = seconds


def timeout_middleware(seconds: float):
    """Litestar middleware; a route may allow itself longer with ``opt={"timeout": seconds}``."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def with_timeout(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            handler = scope.get("route_handler")
            limit = (handler.opt.get("timeout") if handler is not None else None) or seconds
            started = False

            async with asyncio.timeout(limit) as deadline:
                async def send_and_stop_the_clock(message) -> None:
                    nonlocal started
                    if message["type"] == "http.response.start" and not started:
                        started = True
                        deadline.reschedule(None)
                    await send(message)

                try:
                    await app(scope, receive, send_and_stop_the_clock)
                except asyncio.CancelledError:
                    if deadline.expired() and not started:
                        raise RequestTimedOut(limit) from None
                    raise
            # (asyncio.timeout turns the cancellation into TimeoutError only when nothing caught it.)

        return with_timeout

    return middleware
