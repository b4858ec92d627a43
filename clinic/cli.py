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
        for note in (*settings.generated_secrets, *settings.warnings):
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

    worker = commands.add_parser(
        "worker", help="run background jobs in this process (beside `clinic serve`, or instead of its own)",
        description="Claim and run due background jobs until stopped (Ctrl-C or SIGTERM; the job in hand "
        "finishes first). Any number may run against one database: a job never runs twice at once. Set "
        "CLINIC_WORKER=off on the web service when jobs should run only here.")
    worker.set_defaults(handler=worker_command)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date",
                                  description="Apply every pending migration in piccolo_migrations/. Safe to re-run.")
    migrate.set_defaults(handler=migrate_command)

    check = commands.add_parser("check", help="check the configuration and the database connection",
                                description="Validate settings, connect to the database, list pending "
                                "migrations and check that every encrypted value is under a key in "
                                "CLINIC_ENCRYPTION_KEYS. Exit 0 when ready, 1 when migrations are pending, 2 on "
                                "errors (a missing key included).")
    check.set_defaults(handler=check_command)

    demo = commands.add_parser("demo", help="load the demo clinic (staff, patients, an appointment book)",
                               description="Load a realistic, deterministic demo clinic into an empty database. "
                               "Refused in production: the demo accounts' passwords are published.")
    demo.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) if the database has data")
    demo.set_defaults(handler=demo_command)

    createadmin = commands.add_parser(
        "createadmin", help="create an administrator account (the first one, or another)",
        description="Create an administrator. Interactive by default; with --email and --name the password is "
        "read from CLINIC_ADMIN_PASSWORD (for scripts). Administrators set up two-step sign-in at first sign-in.")
    createadmin.add_argument("--email", help="their email address (sign-in name)")
    createadmin.add_argument("--name", help="their full name")
    createadmin.set_defaults(handler=createadmin_command)

    unlock = commands.add_parser(
        "unlock", help="lift the sign-in pauses on an account (when no other administrator can)",
        description="Clear an account's failed sign-in counts: the pause for everyone after too many failures "
        "and the pauses at each client address. Recorded in the audit trail. Exit 2 when no account has this "
        "email.")
    unlock.add_argument("email", metavar="EMAIL", help="the account's email address (its sign-in name)")
    unlock.set_defaults(handler=unlock_command)

    rotate = commands.add_parser(
        "rotate-keys", help="re-encrypt sensitive fields under the newest key",
        description="Re-encrypt every encrypted value that is not under the first key of CLINIC_ENCRYPTION_KEYS. "
        "Put the new key first and keep the old ones after it until this has finished. Safe to run again.")
    rotate.set_defaults(handler=rotate_keys_command)

    audit = commands.add_parser("audit", help="work with the audit trail")
    audit_commands = audit.add_subparsers(title="audit commands", metavar="ACTION")
    verify = audit_commands.add_parser(
        "verify", help="check the audit trail's hash chain (and that it extends signed checkpoints)",
        description="Walk the audit trail and report the first entry that was changed, removed or inserted. "
        "With --checkpoint, also prove that no entry the checkpoint saw was cut off the end. Every successful "
        "verify writes a new checkpoint (print, log and, when set, CLINIC_AUDIT_CHECKPOINT_URL). Exit 0 when "
        "intact, 1 when broken or cut short, 2 when a checkpoint is refused.")
    verify.add_argument("--checkpoint", action="append", metavar="TOKEN|FILE", default=[],
                        help="a checkpoint token (ckpt1....), or a file of them or of log lines holding them "
                        "('-' for stdin); every valid one is checked. May be repeated.")
    verify.set_defaults(handler=audit_verify_command)

    backup = commands.add_parser(
        "backup", help="write an encrypted, checksummed backup of the whole database to one file",
        description="Read every table in one consistent snapshot and write it compressed and encrypted with "
        "CLINIC_BACKUP_KEY (AES-256-GCM), with a manifest (schema version, row counts, a SHA-256 per table) and a "
        "checksum over the whole file. Restores into SQLite or MySQL alike. With --verify FILE, check a backup "
        "without restoring it. Exit 2 when the key is missing or a file is refused.")
    backup.add_argument("--out", metavar="FILE", help="where to write it (default: a dated file in "
                        "CLINIC_BACKUP_DIR, data/backups)")
    backup.add_argument("--verify", metavar="FILE", help="check this backup file instead of writing one")
    backup.set_defaults(handler=backup_command)

    restore = commands.add_parser(
        "restore", help="restore a backup file into an empty migrated database",
        description="Check the file's checksum and tags and its schema version, load every table (ids kept), "
        "then check every table's row count and SHA-256 against the manifest. The database must be migrated "
        "(`clinic migrate`) and empty; with --force a database with data is backed up first and replaced.")
    restore.add_argument("file", metavar="FILE", help="the backup file")
    restore.add_argument("--force", action="store_true",
                         help="replace a database that has data (it is backed up first, beside the backups)")
    restore.set_defaults(handler=restore_command)

    icd10 = commands.add_parser("icd10", help="the ICD-10-CM code set diagnoses are chosen from")
    icd10_commands = icd10.add_subparsers(title="icd10 commands", metavar="ACTION")
    icd10_load = icd10_commands.add_parser(
        "load", help="load the ICD-10-CM codes into the database (every code, or a few chapters)",
        description="Load the ICD-10-CM code set (from the simple-icd-10-cm package) into the database, with the "
        "word index that search as you type uses. Adds only the codes that are missing: safe to run again and to "
        "run while the app serves. Takes about a minute for the full set.")
    icd10_load.add_argument("--prefix", action="append", metavar="CODE", default=[],
                            help="load only codes starting with this (E11, J0); may be repeated")
    icd10_load.add_argument("--sample", action="store_true",
                            help="load only a small sample (diabetes, hypertension, upper respiratory, check-ups)")
    icd10_load.set_defaults(handler=icd10_load_command)
    return parser


def run_with_database(settings: Settings, work: Callable[[Engine], Awaitable[int | None]], *,
                      create: bool = False) -> int:
    """Open the database, run ``work``, close it; unreachable means exit 2."""
    from clinic.db import DatabaseUnavailable
    from clinic.piccolo_app import bind_tables, create_engine

    async def run() -> int:
        from clinic.audit import checkpoints
        from clinic.audit import services as audit
        from clinic.reminders import config as reminders
        from clinic.security import fields

        engine = create_engine(settings, create=create)
        bind_tables(engine)
        audit.configure(settings.audit_key)
        checkpoints.configure(settings.audit_checkpoint_url)
        reminders.configure(settings)
        from clinic.ops.backups import jobs as backup_jobs

        backup_jobs.configure(settings)
        from clinic.ops import alerts

        alerts.configure(settings, engine)
        fields.configure(settings.keyring, settings.index_key)
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


# Platforms send SIGKILL some seconds after SIGTERM (Railway: the draining time, 0 by default,
# then about 3 s more); requests get this long, the worker's job in hand SHUTDOWN_GRACE_SECONDS.
SHUTDOWN_DRAIN_SECONDS = 10


def serve_command(settings: Settings, args) -> int:
    import uvicorn

    if args.migrate:
        migrate_command(settings, args)
    hints: list[str] = []

    async def check_and_explain(engine: Engine) -> None:
        await require_migrated(engine)
        hints.extend(await sign_in_hints())

    run_with_database(settings, check_and_explain)
    host = args.host or ("0.0.0.0" if settings.is_production else "127.0.0.1")
    port = args.port or settings.port
    shown_host = "127.0.0.1" if host == "0.0.0.0" else host
    print(f"Clinic {__version__}: open http://{shown_host}:{port} in a browser  ({settings.database.describe()})")
    for line in hints:
        print(line)
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
        # SIGTERM (a deploy): stop accepting, let requests in flight finish for up to
        # this long, then the lifespan shutdown stops the worker between jobs and closes the pool.
        timeout_graceful_shutdown=SHUTDOWN_DRAIN_SECONDS,
    )
    return EXIT_OK


async def sign_in_hints() -> list[str]:
    """How to sign in: the demo accounts if present, or how to make the first one."""
    from clinic.ops.demo import DEMO_STAFF, demo_sign_ins
    from clinic.security.tables import Staff

    if await Staff.count() == 0:
        return ["No accounts yet: create the first administrator with `clinic createadmin`."]
    if await Staff.exists().where(Staff.email_key == DEMO_STAFF[0].email):
        return ["Demo clinic. Sign in as (email / password):", *(f"  {line}" for line in demo_sign_ins())]
    return []


def worker_command(settings: Settings, args) -> int:
    import contextlib
    import signal

    from clinic.core.jobs import Worker
    from clinic.ops.background import SHUTDOWN_GRACE_SECONDS, clinic_jobs

    configure_logging(settings)

    async def work(engine: Engine) -> int:
        await require_migrated(engine)
        worker = Worker(clinic_jobs())
        loop = asyncio.get_running_loop()
        stopping: list[asyncio.Task] = []

        def stop() -> None:
            # The job in hand may finish within the grace period; then it is handed back.
            if not stopping:
                stopping.append(loop.create_task(worker.stop(grace_seconds=SHUTDOWN_GRACE_SECONDS)))

        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop)
        print(f"worker {worker.name} running jobs ({settings.database.describe()}); Ctrl-C stops it", flush=True)
        task = worker.start()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if stopping:
            await stopping[0]
        print("worker stopped", flush=True)
        return EXIT_OK

    return run_with_database(settings, work)


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
        return await check_encryption_keys(settings)

    return run_with_database(settings, work)


async def check_encryption_keys(settings: Settings) -> int:
    """Every stored encrypted value must be under a key the settings hold, or it cannot be read."""
    from clinic.security.fields import describe_missing, key_census, missing_keys

    keyring = settings.keyring
    census = await key_census()
    missing = missing_keys(census, keyring)
    if missing:
        print(f"encryption    {describe_missing(missing)}")
        return EXIT_CONFIG
    older = sum(count for counts in census.values() for key_id, count in counts.items()
                if key_id != keyring.current_id)
    if older:
        print(f"encryption    key {keyring.current_id}; {older} value(s) still under older keys: "
              "run `clinic rotate-keys`")
    else:
        print(f"encryption    key {keyring.current_id}; every value is under it")
    return EXIT_OK


def demo_command(settings: Settings, args) -> int:
    from clinic.ops.demo import is_empty, load_demo

    if settings.is_production:
        # Its accounts' passwords are published in the README: anyone could sign in as the administrator.
        raise Abort("`clinic demo` is refused in production (CLINIC_ENV=production): the demo accounts' "
                    "passwords are published in the README")

    async def work(engine: Engine) -> int:
        await require_migrated(engine)
        if not await is_empty():
            if args.if_empty:
                return EXIT_OK
            raise Abort("the database already has data; the demo only loads into an empty database", EXIT_PROBLEM)
        created = await load_demo(settings.tz)
        from clinic.visits.icd10_loader import SAMPLE_PREFIXES, code_set, load

        codes = await load(code_set(SAMPLE_PREFIXES))
        print(
            f"demo clinic loaded: {created['staff']} staff, {created['patients']} patients with "
            f"{created['chart_entries']} chart entries, {created['prescriptions']} prescriptions, "
            f"{created['appointments']} appointments, "
            f"{created['visits']} visits; {codes} ICD-10-CM codes (a sample: `clinic icd10 load` adds the rest)"
        )
        from clinic.ops.demo import demo_sign_ins

        print("sign in as (email / password):")
        for line in demo_sign_ins():
            print(f"  {line}")
        return EXIT_OK

    return run_with_database(settings, work)


def createadmin_command(settings: Settings, args) -> int:
    import getpass
    import os

    from clinic.core.errors import Invalid
    from clinic.staff.services import create_administrator

    if args.email or args.name:
        if not (args.email and args.name):
            raise Abort("give both --email and --name (or neither, to be asked)")
        password = os.environ.get("CLINIC_ADMIN_PASSWORD", "")
        if not password:
            raise Abort("set CLINIC_ADMIN_PASSWORD to the new administrator's password")
        name, email = args.name, args.email
    else:
        name = input("Full name: ").strip()
        email = input("Email: ").strip()
        password = getpass.getpass("Password (at least 12 characters): ")
        if getpass.getpass("Password again: ") != password:
            raise Abort("the two passwords are not the same")

    async def work(engine: Engine) -> int:
        await require_migrated(engine)
        try:
            staff_id = await create_administrator(name, email, password, clinic_name=settings.clinic_name)
        except Invalid as invalid:
            raise Abort("; ".join(invalid.errors.values())) from None
        print(f"administrator {email} created (id {staff_id}); they set up two-step sign-in when they first sign in")
        return EXIT_OK

    return run_with_database(settings, work)


def configure_logging(settings: Settings) -> None:
    """Structured lines on stdout, as `clinic serve` writes them."""
    import structlog

    from clinic.web.logging import logger_factory, structlog_processors

    structlog.configure(processors=structlog_processors(settings), logger_factory=logger_factory(),
                        wrapper_class=structlog.make_filtering_bound_logger(settings.log_level))


def unlock_command(settings: Settings, args) -> int:
    from clinic.audit.services import Actor
    from clinic.staff.services import unlock_by_email

    async def work(engine: Engine) -> int:
        await require_migrated(engine)
        # An operator's command: saying whether the account exists is fine here.
        was = await unlock_by_email(args.email, Actor.system("command line"))
        if was is None:
            raise Abort(f"no account has the email {args.email}")
        if was.everywhere:
            state = "it was paused for everyone"
        elif was.addresses:
            state = f"it was paused at {was.addresses} address{'' if was.addresses == 1 else 'es'}"
        else:
            state = "it was not paused"
        print(f"sign-in unlocked for {args.email.strip().lower()} ({state})")
        return EXIT_OK

    return run_with_database(settings, work)


def audit_verify_command(settings: Settings, args) -> int:
    from clinic.audit import checkpoints

    configure_logging(settings)

    async def work(engine: Engine) -> int:
        await require_migrated(engine)
        try:
            given, warnings = checkpoints.gather(args.checkpoint)
        except checkpoints.CheckpointRefused as refusal:
            raise Abort(str(refusal)) from None
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        result, findings = await checkpoints.verify_against(given)
        if not result.ok:
            print(f"audit trail BROKEN at entry {result.broken_at}: it {result.problem} "
                  f"({result.checked} entries before it verified)", file=sys.stderr)
            return EXIT_PROBLEM
        problems = [finding.problem for finding in findings if finding.problem]
        for problem in problems:
            print(f"audit trail CUT SHORT: {problem}", file=sys.stderr)
        if problems:
            # No new checkpoint: it would describe the cut trail as if it were whole.
            return EXIT_PROBLEM
        print(f"audit trail intact: {result.checked} entries verified")
        if given:
            newest = max(given, key=lambda checkpoint: (checkpoint.at, checkpoint.last_id))
            print(f"it extends {len(given)} checkpoint(s), the newest of {newest.when} "
                  f"({newest.count} entries up to #{newest.last_id})")
        else:
            print("without --checkpoint this cannot tell whether the newest entries were cut off (see README)")
        issued = await checkpoints.issue(always_send=True)
        print(f"new checkpoint (keep a copy outside the database):\n{issued.token}")
        return EXIT_OK

    return run_with_database(settings, work)


def rotate_keys_command(settings: Settings, args) -> int:
    from clinic.audit.services import Actor, record
    from clinic.security.fields import KeysMissing, rotate_keys

    async def work(engine: Engine) -> int:
        await require_migrated(engine)
        try:
            rotation = await rotate_keys(report=print)
        except KeysMissing as missing:
            raise Abort(f"{missing}: put that key back in the list (after the new one) and run again; "
                        "nothing was changed") from None
        total = sum(rotation.re_encrypted.values())
        await record("crypto.rotate_keys", Actor.system("command line"), entity_type="key",
                     entity_id=settings.keyring.current_id, detail=f"{total} values re-encrypted",
                     outcome="success" if rotation.done else "failure")
        if not rotation.done:
            behind = ", ".join(f"{name}: {count}" for name, count in sorted(rotation.left_behind.items()))
            print(f"not done: values are still under older keys ({behind}). Values written meanwhile by an app "
                  "that still lists the old key first are caught by running this again; values that do not "
                  "decrypt are listed above.", file=sys.stderr)
            return EXIT_PROBLEM
        print(f"done: every encrypted value is under key {settings.keyring.current_id}")
        return EXIT_OK

    return run_with_database(settings, work)


def icd10_load_command(settings: Settings, args) -> int:
    import time

    from clinic.visits.icd10_loader import SAMPLE_PREFIXES, code_set, load

    prefixes = list(SAMPLE_PREFIXES) if args.sample else args.prefix

    async def work(engine: Engine) -> int:
        await require_migrated(engine)
        started = time.monotonic()
        added = await load(code_set(prefixes or None), report=print)
        from clinic.visits.icd10 import loaded_count

        print(f"ICD-10-CM: {added} code(s) added, {await loaded_count()} in the database "
              f"({time.monotonic() - started:.1f} s)")
        return EXIT_OK

    return run_with_database(settings, work)


def _backup_key(settings: Settings) -> bytes:
    from clinic.ops.backups.container import BackupRefused, backup_key

    try:
        return backup_key({"CLINIC_BACKUP_KEY": settings.backup_key})
    except BackupRefused as refusal:
        raise Abort(str(refusal)) from None


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.1f} kB"


def backup_command(settings: Settings, args) -> int:
    from pathlib import Path

    from clinic.ops.backups import service
    from clinic.ops.backups.container import BackupRefused

    key = _backup_key(settings)
    if args.verify:
        try:
            manifest = service.verify(Path(args.verify), key)
        except BackupRefused as refusal:
            raise Abort(str(refusal)) from None
        rows = sum(table["rows"] for table in manifest["tables"])
        print(f"backup verified: {len(manifest['tables'])} tables, {rows} rows, made {manifest['created_at']} "
              f"on {manifest['backend']} at schema {manifest['migrations'][-1] if manifest['migrations'] else '-'}")
        return EXIT_OK

    async def work(engine: Engine) -> int:
        await require_migrated(engine)
        out = Path(args.out) if args.out else None
        summary = await service.back_up(settings, key, out=out, by="command line")
        print(f"backup written: {summary.path} ({_size(summary.size)}, {summary.tables} tables, "
              f"{summary.rows} rows, {summary.seconds:.1f} s)")
        return EXIT_OK

    return run_with_database(settings, work)


def restore_command(settings: Settings, args) -> int:
    from pathlib import Path

    from clinic.ops.backups import service
    from clinic.ops.backups.container import BackupRefused

    key = _backup_key(settings)

    async def work(engine: Engine) -> int:
        await require_migrated(engine)
        try:
            restored = await service.restore(settings, engine, Path(args.file), key, force=args.force)
        except BackupRefused as refusal:
            raise Abort(str(refusal)) from None
        if restored.safety_copy:
            print(f"the database's previous contents were backed up first: {restored.safety_copy.path}")
        print(f"restored {restored.rows} rows in {restored.tables} tables ({restored.seconds:.1f} s); every "
              "table's row count and SHA-256 match the backup")
        return EXIT_OK

    return run_with_database(settings, work)
