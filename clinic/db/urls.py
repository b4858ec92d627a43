"""DATABASE_URL parsing: which backend, and how to reach it.

Accepted forms:
- unset: SQLite at ``<data dir>/clinic.db``
- ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``
- ``mysql://user:pass@host:3306/db`` (also ``mysql+aiomysql://``, ``mariadb://``),
  with ``?ssl=true`` (verify against the system CAs), ``?ssl-ca=/path/ca.pem``,
  ``?ssl-verify=false`` (encrypt without checking the certificate; not advised).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

MYSQL_SCHEMES = ("mysql", "mysql+aiomysql", "mariadb", "mysql+pymysql")
TRUE_WORDS = ("1", "true", "yes", "on", "required", "require")
FALSE_WORDS = ("0", "false", "no", "off", "disabled", "disable")


class DatabaseURLError(ValueError):
    pass


@dataclass(frozen=True)
class DatabaseURL:
    backend: str  # "sqlite" or "mysql"
    path: Path | None = None
    host: str = ""
    port: int = 3306
    user: str = ""
    password: str = ""
    name: str = ""
    ssl: bool = False
    ssl_ca: str | None = None
    ssl_verify: bool = True

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @property
    def is_mysql(self) -> bool:
        return self.backend == "mysql"

    def describe(self) -> str:
        """Where the database is, without the password (safe to print)."""
        if self.is_sqlite:
            return f"SQLite {self.path}"
        tls = " over TLS" if self.ssl else ""
        return f"MySQL {self.user}@{self.host}:{self.port}/{self.name}{tls}"


def parse_database_url(url: str | None, data_dir: Path) -> DatabaseURL:
    if url is None or not url.strip():
        return DatabaseURL(backend="sqlite", path=data_dir / "clinic.db")
    url = url.strip()
    if "://" not in url:
        raise DatabaseURLError("expected a URL such as mysql://user:password@host:3306/clinic")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise DatabaseURLError(f"malformed URL ({error})") from None
    scheme = parts.scheme.lower()

    if scheme == "sqlite":
        # sqlite:///relative.db -> "relative.db"; sqlite:////abs.db -> "/abs.db"
        raw_path = url.split("://", 1)[1]
        raw_path = raw_path[1:] if raw_path.startswith("/") else raw_path
        if not raw_path or raw_path.endswith("/"):
            raise DatabaseURLError("a sqlite URL needs a file name, e.g. sqlite:///data/clinic.db")
        return DatabaseURL(backend="sqlite", path=Path(unquote(raw_path)))

    if scheme not in MYSQL_SCHEMES:
        raise DatabaseURLError(f"unsupported scheme {scheme!r}; use mysql:// or sqlite://")
    if not parts.hostname:
        raise DatabaseURLError("the MySQL URL has no host")
    name = unquote(parts.path.lstrip("/"))
    if not name or "/" in name:
        raise DatabaseURLError("the MySQL URL must end with the database name, e.g. /clinic")

    options = {key.lower().replace("_", "-"): values[-1] for key, values in parse_qs(parts.query).items()}
    ssl_word = options.pop("ssl", options.pop("ssl-mode", "")).lower()
    ssl_ca = options.pop("ssl-ca", None)
    verify_word = options.pop("ssl-verify", "true").lower()
    if options:
        raise DatabaseURLError(f"unknown option(s) {', '.join(sorted(options))}; known: ssl, ssl-ca, ssl-verify")
    if ssl_word and ssl_word not in TRUE_WORDS + FALSE_WORDS:
        raise DatabaseURLError(f"ssl={ssl_word!r} is not true or false")
    if verify_word not in TRUE_WORDS + FALSE_WORDS:
        raise DatabaseURLError(f"ssl-verify={verify_word!r} is not true or false")
    if ssl_ca and not Path(ssl_ca).is_file():
        raise DatabaseURLError(f"ssl-ca file {ssl_ca} does not exist")

    return DatabaseURL(
        backend="mysql",
        host=parts.hostname,
        port=port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        name=name,
        ssl=ssl_word in TRUE_WORDS or bool(ssl_ca),
        ssl_ca=ssl_ca,
        ssl_verify=verify_word in TRUE_WORDS,
    )
