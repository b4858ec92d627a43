"""Every setting, read once from the environment and validated.

A bad value stops start-up with one line that names the variable and says
what is wrong (``ConfigError``); nothing else in the app reads ``os.environ``.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import is_currency

from clinic.core.crypto import KeyError_, Keyring, new_key_setting
from clinic.core.locale import DATE_ORDERS, UNIT_SYSTEMS, default_currency, default_date_order, default_units
from clinic.core.s3 import Bucket, parse_bucket_url
from clinic.db.urls import DatabaseURL, DatabaseURLError, parse_database_url

ENVIRONMENTS = ("development", "production")
# Where background jobs run: inside `clinic serve`, or only in `clinic worker` processes.
WORKER_MODES = ("inline", "off")
MIN_SECRET_LENGTH = 32
DEV_SECRETS_FILE = "dev-secrets.json"
# The data folder and what we keep in it are this user's alone: patients' data and secrets.
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message is one line."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    data_dir: Path = Path("data")
    database: DatabaseURL = field(default_factory=lambda: parse_database_url(None, Path("data")))
    secret_key: str = ""
    port: int = 8000
    timezone: str = "UTC"
    db_pool_min: int = 1
    db_pool_max: int = 5
    db_pool_recycle_seconds: int = 3600
    db_connect_timeout_seconds: int = 5
    db_busy_timeout_ms: int = 5000
    log_level: str = "INFO"
    log_format: str = "json"
    forwarded_allow_ips: str = "127.0.0.1"
    proxy_hops: int = 0
    audit_key: str = ""
    # Where signed audit checkpoints are POSTed, besides the log (optional).
    audit_checkpoint_url: str = ""
    # The key backups are encrypted with (clinic.ops.backups.container.backup_key checks it when a backup runs).
    backup_key: str = field(default="", repr=False)
    backup_folder: Path = Path("data/backups")
    backup_hour: int = 2  # UTC hour the daily backup is taken from (CLINIC_BACKUP_HOUR)
    backup_keep: int = 14  # good backups kept in the folder (CLINIC_BACKUP_KEEP)
    # A copy of each backup in an S3-compatible bucket (CLINIC_BACKUP_S3_URL and its keys), or None.
    backup_bucket: Bucket | None = field(default=None, repr=False)
    # Reminders: email through this SMTP server (smtp://, smtp+starttls://, smtps://; ?from=address).
    smtp_url: str = ""
    # Reminders by text message: POSTed as JSON to this SMS gateway address.
    sms_webhook_url: str = ""
    # The clinic's address as patients reach it (links in reminders): https://clinic.example.org
    public_url: str = ""
    encryption_keys: str = ""
    session_idle_minutes: int = 15
    session_max_hours: int = 12
    session_warning_seconds: int = 60
    reauth_minutes: int = 10
    break_glass_minutes: int = 60
    index_key: str = ""
    country: str = "US"
    date_order: str = "MDY"
    units: str = "us"
    # First-run default; the practice settings screen may store another.
    currency: str = "USD"
    clinic_name: str = "Clinic"
    worker: str = "inline"
    # The largest document a clinician may attach to a chart (CLINIC_DOCUMENT_MAX_MB).
    document_max_mb: int = 10
    # Shows /health's details to a caller with "Authorization: Bearer <token>" (optional).
    health_token: str = ""
    # Opens /metrics to "Authorization: Bearer <token>"; without it /metrics is 404 (CLINIC_METRICS_TOKEN).
    metrics_token: str = field(default="", repr=False)
    # Memory this instance may use (the container's limit): above 80% administrators are alerted (0: not checked).
    memory_limit_mb: int = 0
    # Where alerts for administrators go: an email address (through SMTP_URL) and/or a webhook.
    alert_email: str = ""
    alert_webhook_url: str = field(default="", repr=False)
    # A request still running after this long is answered with a friendly 503 (CLINIC_REQUEST_TIMEOUT).
    request_timeout_seconds: int = 30
    # Per signed-in user: searches a minute, exports an hour (shared by every instance through the database).
    search_rate_per_minute: int = 120
    export_rate_per_hour: int = 30
    # Benchmarks and tests: X-Query-Count / X-Transaction-Count on every response.
    count_queries: bool = False
    # Filled in with a note for each development secret we generated, so the
    # command line can warn once.
    generated_secrets: tuple[str, ...] = ()
    # Other things the command line should warn about once (a data folder others can open).
    warnings: tuple[str, ...] = ()

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def document_max_bytes(self) -> int:
        return self.document_max_mb * 1024 * 1024

    @property
    def documents_dir(self) -> Path:
        """Attached documents, encrypted, outside the web root (the static folder is elsewhere)."""
        return self.data_dir / "documents"

    @property
    def keyring(self) -> Keyring:
        return Keyring.parse(self.encryption_keys)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the environment. Raises ConfigError with one line."""
    env_vars = os.environ if environ is None else environ

    env = _choice(env_vars, "CLINIC_ENV", "development", ENVIRONMENTS)
    data_dir = Path(env_vars.get("CLINIC_DATA_DIR") or "data")

    database_url = env_vars.get("DATABASE_URL") or env_vars.get("MYSQL_URL")
    try:
        database = parse_database_url(database_url, data_dir)
    except DatabaseURLError as error:
        raise ConfigError(f"DATABASE_URL: {error}") from None
    warnings: list[str] = []
    if database.is_sqlite or env != "production":
        # The data folder holds the SQLite file and development secrets.
        check_data_dir(data_dir, warnings)

    generated: list[str] = []
    secret_key = env_vars.get("CLINIC_SECRET_KEY", "")
    if secret_key:
        check_secret("CLINIC_SECRET_KEY", secret_key)
    elif env == "production":
        raise ConfigError(
            "CLINIC_SECRET_KEY is required in production "
            f"(at least {MIN_SECRET_LENGTH} random characters)"
        )
    else:
        secret_key = dev_secret(data_dir, "secret_key", generated)

    audit_key = env_vars.get("CLINIC_AUDIT_KEY", "")
    if audit_key:
        check_secret("CLINIC_AUDIT_KEY", audit_key)
    elif env == "production":
        raise ConfigError("CLINIC_AUDIT_KEY is required in production (it signs the audit trail; keep it out of the database)")
    else:
        audit_key = dev_secret(data_dir, "audit_key", generated)

    encryption_keys = env_vars.get("CLINIC_ENCRYPTION_KEYS", "")
    if not encryption_keys:
        if env == "production":
            raise ConfigError(
                "CLINIC_ENCRYPTION_KEYS is required in production "
                "(id:base64key, e.g. from `python -m clinic.security.newkey`)"
            )
        encryption_keys = dev_secret(data_dir, "encryption_keys", generated, factory=lambda: new_key_setting("dev1"))
    try:
        Keyring.parse(encryption_keys)
    except KeyError_ as error:
        raise ConfigError(str(error)) from None

    index_key = env_vars.get("CLINIC_INDEX_KEY", "")
    if index_key:
        check_secret("CLINIC_INDEX_KEY", index_key)
    elif env == "production":
        raise ConfigError("CLINIC_INDEX_KEY is required in production (it keys look-ups of encrypted identifiers)")
    else:
        index_key = dev_secret(data_dir, "index_key", generated)

    health_token = env_vars.get("CLINIC_HEALTH_TOKEN", "").strip()
    if health_token:
        check_secret("CLINIC_HEALTH_TOKEN", health_token)

    backup_bucket = None
    if (env_vars.get("CLINIC_BACKUP_S3_URL") or "").strip():
        try:
            backup_bucket = parse_bucket_url(env_vars["CLINIC_BACKUP_S3_URL"],
                                             (env_vars.get("CLINIC_BACKUP_S3_ACCESS_KEY") or "").strip(),
                                             (env_vars.get("CLINIC_BACKUP_S3_SECRET_KEY") or "").strip())
        except ValueError as error:
            raise ConfigError(f"CLINIC_BACKUP_S3_URL: {error}") from None
        if env == "production" and not backup_bucket.endpoint.startswith("https://"):
            raise ConfigError("CLINIC_BACKUP_S3_URL: the endpoint must use https in production")

    metrics_token = env_vars.get("CLINIC_METRICS_TOKEN", "").strip()
    if metrics_token:
        check_secret("CLINIC_METRICS_TOKEN", metrics_token)
    alert_email = (env_vars.get("CLINIC_ALERT_EMAIL") or "").strip()
    if alert_email and ("@" not in alert_email or any(char in alert_email for char in "\r\n<>, ")):
        raise ConfigError("CLINIC_ALERT_EMAIL must be one email address, e.g. it@example.org")

    country = (env_vars.get("CLINIC_COUNTRY") or "US").strip().upper()
    import phonenumbers

    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"CLINIC_COUNTRY: {country!r} is not a two-letter country code (e.g. US, GB, DE)")
    date_order = _choice(env_vars, "CLINIC_DATE_ORDER", default_date_order(country), DATE_ORDERS, upper=True)
    units = _choice(env_vars, "CLINIC_UNITS", default_units(country), UNIT_SYSTEMS)
    currency = _currency(env_vars.get("CLINIC_CURRENCY", ""), country)

    settings = Settings(
        env=env,
        data_dir=data_dir,
        database=database,
        secret_key=secret_key,
        port=_integer(env_vars, "PORT", 8000, 1, 65535),
        timezone=_timezone(env_vars.get("CLINIC_TIMEZONE") or "UTC"),
        db_pool_min=_integer(env_vars, "CLINIC_DB_POOL_MIN", 1, 1, 50),
        db_pool_max=_integer(env_vars, "CLINIC_DB_POOL_MAX", 5, 1, 100),
        db_pool_recycle_seconds=_integer(env_vars, "CLINIC_DB_POOL_RECYCLE", 3600, 5, 86400),
        db_connect_timeout_seconds=_integer(env_vars, "CLINIC_DB_CONNECT_TIMEOUT", 5, 1, 120),
        db_busy_timeout_ms=_integer(env_vars, "CLINIC_DB_BUSY_TIMEOUT_MS", 5000, 10, 120000),
        log_level=_choice(
            env_vars, "CLINIC_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"), upper=True
        ),
        # JSON lines for a log collector in production; readable lines in a terminal otherwise.
        log_format=_choice(env_vars, "CLINIC_LOG_FORMAT", "json" if env == "production" else "console",
                           ("json", "console")),
        forwarded_allow_ips=(env_vars.get("CLINIC_FORWARDED_ALLOW_IPS") or "127.0.0.1").strip(),
        proxy_hops=_integer(env_vars, "CLINIC_PROXY_HOPS", 0, 0, 5),
        audit_key=audit_key,
        audit_checkpoint_url=_webhook_url(env_vars, "CLINIC_AUDIT_CHECKPOINT_URL", env),
        backup_key=env_vars.get("CLINIC_BACKUP_KEY", ""),
        backup_folder=Path(env_vars.get("CLINIC_BACKUP_DIR") or (data_dir / "backups")),
        backup_hour=_integer(env_vars, "CLINIC_BACKUP_HOUR", 2, 0, 23),
        backup_keep=_integer(env_vars, "CLINIC_BACKUP_KEEP", 14, 1, 3650),
        backup_bucket=backup_bucket,
        smtp_url=_smtp_url(env_vars.get("SMTP_URL", "")),
        sms_webhook_url=_webhook_url(env_vars, "CLINIC_SMS_WEBHOOK_URL", env),
        public_url=_public_url(env_vars.get("CLINIC_PUBLIC_URL", ""), env),
        encryption_keys=encryption_keys,
        session_idle_minutes=_integer(env_vars, "CLINIC_SESSION_IDLE_MINUTES", 15, 2, 240),
        session_max_hours=_integer(env_vars, "CLINIC_SESSION_MAX_HOURS", 12, 1, 24),
        session_warning_seconds=_integer(env_vars, "CLINIC_SESSION_WARNING_SECONDS", 60, 10, 600),
        reauth_minutes=_integer(env_vars, "CLINIC_REAUTH_MINUTES", 10, 1, 60),
        break_glass_minutes=_integer(env_vars, "CLINIC_BREAK_GLASS_MINUTES", 60, 5, 24 * 60),
        index_key=index_key,
        country=country,
        date_order=date_order,
        units=units,
        currency=currency,
        clinic_name=" ".join((env_vars.get("CLINIC_NAME") or "Clinic").split())[:120],
        worker=_choice(env_vars, "CLINIC_WORKER", "inline", WORKER_MODES),
        document_max_mb=_integer(env_vars, "CLINIC_DOCUMENT_MAX_MB", 10, 1, 100),
        health_token=health_token,
        metrics_token=metrics_token,
        memory_limit_mb=_integer(env_vars, "CLINIC_MEMORY_LIMIT_MB", 0, 0, 1024 * 1024),
        alert_email=alert_email,
        alert_webhook_url=_webhook_url(env_vars, "CLINIC_ALERT_WEBHOOK_URL", env),
        request_timeout_seconds=_integer(env_vars, "CLINIC_REQUEST_TIMEOUT", 30, 1, 600),
        search_rate_per_minute=_integer(env_vars, "CLINIC_SEARCH_RATE_PER_MINUTE", 120, 1, 1_000_000),
        export_rate_per_hour=_integer(env_vars, "CLINIC_EXPORT_RATE_PER_HOUR", 30, 1, 1_000_000),
        count_queries=_choice(env_vars, "CLINIC_COUNT_QUERIES", "0", ("0", "1")) == "1",
        generated_secrets=tuple(generated),
        warnings=tuple(warnings),
    )
    if settings.session_warning_seconds >= settings.session_idle_minutes * 60:
        raise ConfigError("CLINIC_SESSION_WARNING_SECONDS must be shorter than CLINIC_SESSION_IDLE_MINUTES")
    if (settings.smtp_url or settings.sms_webhook_url) and env == "production" and not settings.public_url:
        raise ConfigError("CLINIC_PUBLIC_URL is required when reminders are sent (their confirm/cancel links point "
                          "there), e.g. https://clinic.example.org")
    if settings.alert_email and not settings.smtp_url:
        raise ConfigError("CLINIC_ALERT_EMAIL needs SMTP_URL to send through (or use CLINIC_ALERT_WEBHOOK_URL)")
    if settings.db_pool_min > settings.db_pool_max:
        raise ConfigError("CLINIC_DB_POOL_MIN must not be larger than CLINIC_DB_POOL_MAX")
    return settings


def check_data_dir(data_dir: Path, warnings: list[str] | None = None) -> None:
    """The data folder must be a writable directory (created if missing, private to this user).

    A folder we create is 0700. One that already exists with wider permissions
    is left as it is (it may be a mount point, or shared on purpose) but named
    in a warning: the files we keep in it are 0600 whatever the folder allows.
    """
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError(f"CLINIC_DATA_DIR: {data_dir} exists but is not a folder")
    if not data_dir.exists():
        try:
            data_dir.parent.mkdir(parents=True, exist_ok=True)
            data_dir.mkdir(mode=PRIVATE_FOLDER)
            data_dir.chmod(PRIVATE_FOLDER)  # mkdir's mode passes through the umask
        except FileExistsError:
            pass  # created by another process just now
        except OSError as error:
            raise ConfigError(f"CLINIC_DATA_DIR: cannot create {data_dir}: {error.strerror}") from None
    if not os.access(data_dir, os.R_OK | os.W_OK | os.X_OK):
        raise ConfigError(f"CLINIC_DATA_DIR: {data_dir} is not readable and writable by this user")
    mode = stat.S_IMODE(data_dir.stat().st_mode)
    if mode & 0o077 and warnings is not None:
        warnings.append(f"the data folder {data_dir} can be opened by other users of this machine (mode {mode:o}); "
                        f"`chmod 700 {data_dir}` keeps it private")


def check_secret(name: str, value: str) -> None:
    """Refuse secrets that are short or obviously not random."""
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(f"{name} is too short: use at least {MIN_SECRET_LENGTH} random characters")
    if len(set(value)) < 12 or value.lower().startswith(("changeme", "change-me", "secret", "password")):
        raise ConfigError(f"{name} looks weak: generate one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`")


def dev_secret(data_dir: Path, name: str, generated: list[str], factory=None) -> str:
    """A development secret kept in the data folder so it survives restarts."""
    path = data_dir / DEV_SECRETS_FILE
    stored: dict[str, str] = {}
    if path.exists():
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError):
            raise ConfigError(f"{path} is unreadable; delete it to generate new development secrets") from None
    if name not in stored:
        stored[name] = (factory or (lambda: secrets.token_urlsafe(48)))()
        write_private(path, json.dumps(stored, indent=2))
        generated.append(f"generated a development {name} in {path}; set it in the environment for production")
    return stored[name]


def write_private(path: Path, text: str) -> None:
    """Write a file only this user can read, from its first byte (not made private afterwards)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        os.fchmod(descriptor, PRIVATE_FILE)  # a file from an older version may be wider
        file.write(text)


def _choice(env_vars, name, default, allowed, upper=False) -> str:
    value = (env_vars.get(name) or default).strip()
    value = value.upper() if upper else value.lower()
    if value not in allowed:
        raise ConfigError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _integer(env_vars, name, default, low, high) -> int:
    raw = env_vars.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}: {value} is outside {low}..{high}")
    return value


def _currency(code: str, country: str) -> str:
    code = code.strip().upper()
    if not code:
        try:
            return default_currency(country)
        except ValueError:
            raise ConfigError(f"CLINIC_CURRENCY: no currency is known for {country}; set one (e.g. USD)") from None
    if not is_currency(code):
        raise ConfigError(f"CLINIC_CURRENCY: {code!r} is not an ISO 4217 currency code (e.g. USD, EUR, GBP)")
    return code


def _webhook_url(env_vars, name: str, env: str) -> str:
    """An http(s) address to POST to; https in production (it carries signed tokens
    and often a secret in its path, which is why it is never logged)."""
    value = (env_vars.get(name) or "").strip()
    if not value:
        return ""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ConfigError(f"{name} is not a valid address") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http(s) address, e.g. https://hooks.example.org/clinic")
    if env == "production" and parts.scheme != "https":
        raise ConfigError(f"{name} must use https in production")
    return value


SMTP_SCHEMES = ("smtp", "smtp+starttls", "smtps")


def _smtp_url(value: str) -> str:
    """smtp://host:25 (a local relay), smtp+starttls://user:password@host:587 or
    smtps://user:password@host:465, with the sender as ?from=reminders@example.org."""
    value = value.strip()
    if not value:
        return ""
    from urllib.parse import parse_qs

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ConfigError("SMTP_URL is not a valid address (e.g. smtp+starttls://user:password@mail.example.org:587"
                          "?from=reminders@example.org)") from None
    if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
        raise ConfigError(f"SMTP_URL must start with {', '.join(s + '://' for s in SMTP_SCHEMES)} and name a host")
    sender = (parse_qs(parts.query).get("from") or [""])[-1]
    if "@" not in sender or any(char in sender for char in "\r\n<>, "):
        raise ConfigError("SMTP_URL needs the sender's address as ?from=reminders@example.org")
    return value


def _public_url(value: str, env: str) -> str:
    value = value.strip().rstrip("/")
    if not value:
        return ""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018
    except ValueError:
        raise ConfigError("CLINIC_PUBLIC_URL is not a valid address") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError("CLINIC_PUBLIC_URL must be the clinic's http(s) address, e.g. https://clinic.example.org")
    if env == "production" and parts.scheme != "https":
        raise ConfigError("CLINIC_PUBLIC_URL must use https in production")
    return value


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"CLINIC_TIMEZONE: {name!r} is not a known time zone (e.g. Europe/London)") from None
    return name

