"""The ``clinic`` command.

Every failure a person can fix (a bad setting, an unreachable database, an
unmigrated schema) ends with one line on stderr and exit code 2, not a
traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Awaitable, Callable

from piccolo.engine.base import Engine

from clinic import __version__
from clinic.settings import ConfigError, Settings, load_settings

EXIT_OK, EXIT_PROBLEM, EXIT_CONFIG = 0, 1, 2


class Abort(Exception):
    """Stop the command with one line and an exit code."""

    def __init__(self, message: str, code: int = EXIT_CONFIG):
        super().__init__(message)
        self.code = code


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_OK
    try:
        settings = load_settings()
        for note in settings.generated_secrets:
            print(f"warning: {note}", file=sys.stderr)
        return args.handler(settings, args) or EXIT_OK
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except Abort as error:
        print(f"error: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clinic",
        description="Clinic: practice management for small clinics. Configuration comes from environment "
        "variables (see README.md); every command reads the same ones.",
    )
    parser.add_argument("--version", action="version", version=f"clinic {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web app (uvicorn)",
                                description="Check the database, then serve the app with uvicorn.")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 in production)")
    serve.add_argument("--port", type=int, help="port to listen on (default: $PORT or 8000)")
    serve.add_argument("--reload", action="store_true", help="restart when the code changes (development)")
    serve.add_argument("--migrate", action="store_true",
                       help="apply pending migrations first (what a deploy does); otherwise refuse to start on an "
                       "unmigrated database")
    serve.set_defaults(handler=serve_command)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date",
                                  description="Apply every pending migration in piccolo_migrations/. Safe to re-run.")
    migrate.set_defaults(handler=migrate_command)

    check = commands.add_parser("check", help="check the configuration and the database connection",
                                description="Validate settings, connect to the database and list pending "
                                "migrations. Exit 0 when ready, 1 when migrations are pending, 2 on errors.")
    check.set_defaults(handler=check_command)

    demo = commands.add_parser("demo", help="load the demo clinic (staff, patients, a week of appointments)",
                               description="Load a realistic, deterministic demo clinic into an empty database.")
    demo.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) if the database has data")
    demo.set_defaults(handler=demo_command)
    return parser


def run_with_database(settings: Settings, work: Callable[[Engine], Awaitable[int | None]], *,
                      create: bool = False) -> int:
    """Open the database, run ``work``, close it; unreachable means exit 2."""
    from clinic.db import DatabaseUnavailable, bind_tables, create_engine

    async def run() -> int:
        engine = create_engine(settings, create=create)
        bind_tables(engine)
        try:
            await engine.start_connection_pool()
            return await work(engine) or EXIT_OK
        finally:
            await engine.close_connection_pool()

    try:
        return asyncio.run(run())
    except DatabaseUnavailable as error:
        raise Abort(f"cannot reach the database ({settings.database.describe()}): {error.reason}") from None


async def require_migrated(engine: Engine) -> None:
    from clinic.db.migrations import pending

    waiting = await pending(engine)
    if waiting:
        raise Abort(f"the database is missing {len(waiting)} migration(s): run `clinic migrate` first")


def serve_command(settings: Settings, args) -> int:
    import uvicorn

    if args.migrate:
        migrate_command(settings, args)
    run_with_database(settings, require_migrated)
    host = args.host or ("0.0.0.0" if settings.is_production else "127.0.0.1")
    port = args.port or settings.port
    shown_host = "127.0.0.1" if host == "0.0.0.0" else host
    print(f"Clinic {__version__}: open http://{shown_host}:{port} in a browser  ({settings.database.describe()})")
    uvicorn.run(
        "clinic.app:create_app",
        factory=True,
        host=host,
        port=port,
        reload=args.reload,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        access_log=False,  # our own access log has no query strings
        log_level="warning",
    )
    return EXIT_OK


def migrate_command(settings: Settings, args) -> int:
    from clinic.db.migrations import migrate

    async def work(engine: Engine) -> int:
        applied = await migrate(engine, report=print)
        print(f"database is up to date ({len(applied)} migration(s) applied; {settings.database.describe()})")
        return EXIT_OK

    return run_with_database(settings, work, create=True)


def check_command(settings: Settings, args) -> int:
    from clinic.db.migrations import pending

    print(f"environment   {settings.env}")
    print(f"database      {settings.database.describe()}")
    print(f"data folder   {settings.data_dir.resolve()}")
    print(f"time zone     {settings.timezone}")

    async def work(engine: Engine) -> int:
        waiting = await pending(engine)
        print("connection    ok")
        if waiting:
            print(f"migrations    {len(waiting)} pending: run `clinic migrate`")
            return EXIT_PROBLEM
        print("migrations    up to date")
        return EXIT_OK

    return run_with_database(settings, work)


def demo_command(settings: Settings, args) -> int:
    from clinic.ops.demo import is_empty, load_demo

    async def work(engine: Engine) -> int:
        await require_migrated(engine)
        if not await is_empty():
            if args.if_empty:
                return EXIT_OK
            raise Abort("the database already has data; the demo only loads into an empty database", EXIT_PROBLEM)
        created = await load_demo(settings.tz)
        print(
            f"demo clinic loaded: {created['staff']} staff, {created['patients']} patients, "
            f"{created['appointments']} appointments"
        )
        return EXIT_OK

    return run_with_database(settings, work)
