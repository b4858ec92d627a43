"""``X-Query-Count`` / ``X-Transaction-Count`` on every response, for benchmarks and tests.

Only when ``CLINIC_COUNT_QUERIES=1``: the numbers say how the app works
inside, which is nobody's business in production. The count covers the whole
request: the session look-up, the clinic settings, the handler and its audit
entry.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders

from clinic.db.counting import start_counting, stop_counting


def with_query_count(handler):
    async def counted(scope, receive, send):
        if scope["type"] != "http":
            await handler(scope, receive, send)
            return
        tally, token = start_counting()

        async def send_with_counts(message):
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers["x-query-count"] = str(tally.statements)
                headers["x-transaction-count"] = str(tally.transactions)
            await send(message)

        try:
            await handler(scope, receive, send_with_counts)
        finally:
            stop_counting(token)

    return counted
