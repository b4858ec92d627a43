"""The audit Actor for a request: who, with which role, from where."""

from __future__ import annotations

from litestar.connection import ASGIConnection

from clinic.audit.services import Actor


def client_address(connection: ASGIConnection) -> str:
    # uvicorn has already applied X-Forwarded-For from trusted proxies only.
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
