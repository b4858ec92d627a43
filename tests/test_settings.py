"""Settings: read once from the environment, one clear line for each mistake."""

from __future__ import annotations

import pytest

from clinic.settings import ConfigError, load_settings

STRONG = "k8#Jd2!qLz9@Wm4$Xp7^Rt1&Vb6*Ns3(Hc5)"


def load(tmp_path, **environ):
    return load_settings({"CLINIC_DATA_DIR": str(tmp_path), **environ})


def test_sqlite_in_the_data_folder_is_the_default(tmp_path):
    settings = load(tmp_path)
    assert settings.database.is_sqlite and settings.database.path == tmp_path / "clinic.db"
    assert settings.env == "development" and settings.port == 8000 and settings.timezone == "UTC"
    assert settings.worker == "inline"


def test_development_generates_a_secret_once_and_keeps_it(tmp_path):
    first = load(tmp_path)
    second = load(tmp_path)
    assert len(first.secret_key) >= 32 and first.secret_key == second.secret_key
    assert first.generated_secrets and not second.generated_secrets
    assert oct((tmp_path / "dev-secrets.json").stat().st_mode)[-3:] == "600"


@pytest.mark.parametrize(
    "environ,message",
    [
        ({"CLINIC_ENV": "production"}, "CLINIC_SECRET_KEY is required in production"),
        ({"CLINIC_ENV": "production", "CLINIC_SECRET_KEY": "short"}, "CLINIC_SECRET_KEY is too short"),
        ({"CLINIC_ENV": "production", "CLINIC_SECRET_KEY": "a" * 40}, "CLINIC_SECRET_KEY looks weak"),
        ({"CLINIC_ENV": "staging"}, "CLINIC_ENV: 'staging' is not one of development, production"),
        ({"PORT": "eighty"}, "PORT: 'eighty' is not a whole number"),
        ({"PORT": "70000"}, "PORT: 70000 is outside 1..65535"),
        ({"CLINIC_TIMEZONE": "Mars/Olympus"}, "CLINIC_TIMEZONE: 'Mars/Olympus' is not a known time zone"),
        ({"DATABASE_URL": "postgres://x@y/z"}, "DATABASE_URL: unsupported scheme 'postgres'"),
        ({"DATABASE_URL": "mysql://user@/clinic"}, "DATABASE_URL: the MySQL URL has no host"),
        ({"DATABASE_URL": "mysql://user@db:3306"}, "DATABASE_URL: the MySQL URL must end with the database name"),
        ({"DATABASE_URL": "mysql://user@db:port/x"}, "DATABASE_URL: malformed URL"),
        ({"DATABASE_URL": "mysql://u@h/db?ssl=maybe"}, "DATABASE_URL: ssl='maybe' is not true or false"),
        ({"DATABASE_URL": "mysql://u@h/db?colour=blue"}, "DATABASE_URL: unknown option(s) colour"),
        ({"CLINIC_DB_POOL_MIN": "6", "CLINIC_DB_POOL_MAX": "5"}, "CLINIC_DB_POOL_MIN must not be larger"),
        ({"CLINIC_COUNTRY": "Narnia"}, "CLINIC_COUNTRY: 'NARNIA' is not a two-letter country code"),
        ({"CLINIC_DATE_ORDER": "YDM"}, "CLINIC_DATE_ORDER: 'YDM' is not one of MDY, DMY, YMD"),
        ({"CLINIC_CURRENCY": "dollars"}, "CLINIC_CURRENCY: 'DOLLARS' is not an ISO 4217 currency code"),
        ({"CLINIC_CURRENCY": "ZZZ"}, "CLINIC_CURRENCY: 'ZZZ' is not an ISO 4217 currency code"),
        ({"CLINIC_WORKER": "separate"}, "CLINIC_WORKER: 'separate' is not one of inline, off"),
        ({"CLINIC_HEALTH_TOKEN": "short"}, "CLINIC_HEALTH_TOKEN is too short"),
        ({"CLINIC_ENCRYPTION_KEYS": "k1:tooshort"}, "CLINIC_ENCRYPTION_KEYS: key 'k1' must be 32 bytes"),
        ({"CLINIC_ENCRYPTION_KEYS": "nocolon"}, "CLINIC_ENCRYPTION_KEYS: each key is id:base64key"),
        ({"CLINIC_ENV": "production", "CLINIC_SECRET_KEY": "k8#Jd2!qLz9@Wm4$Xp7^Rt1&Vb6*Ns3(Hc5)"},
         "CLINIC_AUDIT_KEY is required in production"),
        ({"CLINIC_SESSION_IDLE_MINUTES": "2", "CLINIC_SESSION_WARNING_SECONDS": "200"},
         "CLINIC_SESSION_WARNING_SECONDS must be shorter"),
        ({"CLINIC_AUDIT_CHECKPOINT_URL": "ftp://logs.example.org/x"},
         "CLINIC_AUDIT_CHECKPOINT_URL must be an http(s) address"),
        ({"CLINIC_AUDIT_CHECKPOINT_URL": "hooks.example.org/clinic"},
         "CLINIC_AUDIT_CHECKPOINT_URL must be an http(s) address"),
        ({"CLINIC_AUDIT_CHECKPOINT_URL": "https://hooks.example.org:port/x"},
         "CLINIC_AUDIT_CHECKPOINT_URL is not a valid address"),
        ({"CLINIC_METRICS_TOKEN": "short"}, "CLINIC_METRICS_TOKEN is too short"),
        ({"CLINIC_BACKUP_S3_URL": "s3://backups"}, "CLINIC_BACKUP_S3_URL: needs CLINIC_BACKUP_S3_ACCESS_KEY"),
        ({"CLINIC_BACKUP_S3_URL": "bucket/x", "CLINIC_BACKUP_S3_ACCESS_KEY": "a", "CLINIC_BACKUP_S3_SECRET_KEY": "b"},
         "CLINIC_BACKUP_S3_URL: must look like s3://"),
        ({"CLINIC_MEMORY_LIMIT_MB": "lots"}, "CLINIC_MEMORY_LIMIT_MB: 'lots' is not a whole number"),
        ({"CLINIC_REQUEST_TIMEOUT": "0"}, "CLINIC_REQUEST_TIMEOUT: 0 is outside 1..600"),
        ({"CLINIC_SEARCH_RATE_PER_MINUTE": "-1"}, "CLINIC_SEARCH_RATE_PER_MINUTE: -1 is outside"),
        ({"CLINIC_ALERT_EMAIL": "it at example"}, "CLINIC_ALERT_EMAIL must be one email address"),
        ({"CLINIC_ALERT_EMAIL": "it@example.org"}, "CLINIC_ALERT_EMAIL needs SMTP_URL"),
        ({"CLINIC_ALERT_WEBHOOK_URL": "ftp://x.example.org/"}, "CLINIC_ALERT_WEBHOOK_URL must be an http(s) address"),
    ],
)
def test_a_bad_value_gives_one_clear_line(tmp_path, environ, message):
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **environ)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_a_data_folder_that_is_a_file_is_refused(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    with pytest.raises(ConfigError, match="exists but is not a folder"):
        load_settings({"CLINIC_DATA_DIR": str(not_a_folder)})


def test_a_mysql_url_is_read_in_every_accepted_form(tmp_path):
    for url in ("mysql://clinic:p%40ss@db.internal:3307/clinic", "mysql+aiomysql://clinic:p%40ss@db.internal:3307/clinic"):
        database = load(tmp_path, DATABASE_URL=url).database
        assert (database.backend, database.user, database.password, database.host, database.port, database.name) == (
            "mysql", "clinic", "p@ss", "db.internal", 3307, "clinic")
        assert "p@ss" not in database.describe()
    railway = load(tmp_path, MYSQL_URL="mysql://root:pw@mysql.railway.internal:3306/railway").database
    assert railway.host == "mysql.railway.internal" and not railway.ssl
    tls = load(tmp_path, DATABASE_URL="mysql://u:p@h/db?ssl=true").database
    assert tls.ssl and tls.ssl_verify and "TLS" in tls.describe()


def test_the_country_decides_dates_units_and_currency(tmp_path):
    us, gb, jp = load(tmp_path), load(tmp_path, CLINIC_COUNTRY="gb"), load(tmp_path, CLINIC_COUNTRY="JP")
    assert (us.country, us.date_order, us.units, us.currency) == ("US", "MDY", "us", "USD")
    assert (gb.country, gb.date_order, gb.units, gb.currency) == ("GB", "DMY", "metric", "GBP")
    assert (jp.date_order, jp.currency) == ("YMD", "JPY")


def test_a_currency_set_in_the_environment_beats_the_countrys(tmp_path):
    assert load(tmp_path, CLINIC_COUNTRY="DE", CLINIC_CURRENCY=" chf ").currency == "CHF"


def test_production_with_a_strong_secret_starts(tmp_path):
    settings = load(tmp_path, CLINIC_ENV="production", CLINIC_SECRET_KEY=STRONG, PORT="9000",
                    CLINIC_AUDIT_KEY=STRONG[::-1], CLINIC_ENCRYPTION_KEYS="k1:" + "C" * 42 + "g",
                    CLINIC_INDEX_KEY=STRONG[1:] + "Q")
    assert settings.is_production and settings.port == 9000


def test_the_checkpoint_address_must_be_https_in_production(tmp_path):
    production = {"CLINIC_ENV": "production", "CLINIC_SECRET_KEY": STRONG, "CLINIC_AUDIT_KEY": STRONG[::-1],
                  "CLINIC_ENCRYPTION_KEYS": "k1:" + "C" * 42 + "g", "CLINIC_INDEX_KEY": STRONG[1:] + "Q"}
    with pytest.raises(ConfigError, match="CLINIC_AUDIT_CHECKPOINT_URL must use https in production"):
        load(tmp_path, **production, CLINIC_AUDIT_CHECKPOINT_URL="http://hooks.example.org/clinic")
    secure = load(tmp_path, **production, CLINIC_AUDIT_CHECKPOINT_URL=" https://hooks.example.org/clinic/T0K3N ")
    assert secure.audit_checkpoint_url == "https://hooks.example.org/clinic/T0K3N"
    assert load(tmp_path, CLINIC_AUDIT_CHECKPOINT_URL="http://127.0.0.1:9/hook").audit_checkpoint_url
    assert load(tmp_path).audit_checkpoint_url == ""
