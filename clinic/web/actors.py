"""The audit Actor for a request: who, with which role, from where."""

from __future__ import annotations

from litestar.connection import ASGIConnection

from clinic.audit.services import Actor


def client_address(connection: ASGIConnection) -> str:
    """The client's address, for throttling and the audit trail.

    Behind N trusted proxies (CLINIC_PROXY_HOPS; 1 on Railway) it is the Nth
    entry from the right of X-Forwarded-For: each proxy appends what it saw,
    while everything further left came from the client and can be forged.
    A proxy may add its own header line instead of extending the client's, so
    every line is read, in order, before counting from the right.
    """
    hops = connection.app.state.settings.proxy_hops
    if hops:
        lines = connection.headers.getall("x-forwarded-for", [])
        forwarded = [part.strip() for line in lines for part in line.split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    client = connection.scope.get("client")
    return client[0] if client else ""


def actor_of(connection: ASGIConnection) -> Actor:
    user = connection.scope.get("user")
    return Actor(
        staff_id=user.id if user else None,
        role=user.role if user else "",
        client_address=client_address(connection),
        user_agent=connection.headers.get("user-agent", "")[:200],
    )
