"""Structured logs: JSON lines in production, readable lines in a terminal."""

from __future__ import annotations

import sys

import structlog

from clinic.settings import Settings


def structlog_processors(settings: Settings) -> list:
    renderer = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        renderer,
    ]


class _CurrentStdout:
    """Writes to whatever sys.stdout is now (tests capture it, servers pipe it)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def logger_factory() -> structlog.PrintLoggerFactory:
    return structlog.PrintLoggerFactory(file=_CurrentStdout())
