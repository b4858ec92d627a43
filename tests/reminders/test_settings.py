"""Reminder delivery settings: a bad value stops start-up with one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from clinic.settings import ConfigError, load_settings

STRONG = "k8#Jd2!qLz9@Wm4$Xp7^Rt1&Vb6*Ns3(Hc5)"
PRODUCTION = {"CLINIC_ENV": "production", "CLINIC_SECRET_KEY": STRONG, "CLINIC_AUDIT_KEY": STRONG[::-1],
              "CLINIC_ENCRYPTION_KEYS": "k1:" + "C" * 42 + "g", "CLINIC_INDEX_KEY": STRONG[1:] + "Q"}


def load(tmp_path, **environ):
    return load_settings({"CLINIC_DATA_DIR": str(tmp_path), **environ})


@pytest.mark.parametrize("environ,message", [
    ({"SMTP_URL": "mail.example.org"}, "SMTP_URL must start with smtp://, smtp+starttls://, smtps://"),
    ({"SMTP_URL": "http://mail.example.org?from=a@b.org"}, "SMTP_URL must start with"),
    ({"SMTP_URL": "smtp://mail.example.org:port?from=a@b.org"}, "SMTP_URL is not a valid address"),
    ({"SMTP_URL": "smtp://mail.example.org"}, "SMTP_URL needs the sender's address as ?from="),
    ({"CLINIC_SMS_WEBHOOK_URL": "sms.example.org/send"}, "CLINIC_SMS_WEBHOOK_URL must be an http(s) address"),
    ({"CLINIC_PUBLIC_URL": "clinic.example.org"}, "CLINIC_PUBLIC_URL must be the clinic's http(s) address"),
    ({**PRODUCTION, "SMTP_URL": "smtps://u:p@mail.example.org?from=r@example.org"},
     "CLINIC_PUBLIC_URL is required when reminders are sent"),
    ({**PRODUCTION, "CLINIC_SMS_WEBHOOK_URL": "http://sms.example.org/send"},
     "CLINIC_SMS_WEBHOOK_URL must use https in production"),
])
def test_a_bad_delivery_setting_is_named_in_one_line(tmp_path, environ, message):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, **environ)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_good_delivery_settings_are_kept(tmp_path):
    settings = load(tmp_path, **PRODUCTION, SMTP_URL="smtp+starttls://u%40x:p@mail.example.org:587?from=r@example.org",
                    CLINIC_SMS_WEBHOOK_URL="https://sms.example.org/send/T0K3N",
                    CLINIC_PUBLIC_URL="https://clinic.example.org/")
    assert settings.smtp_url.startswith("smtp+starttls://") and settings.public_url == "https://clinic.example.org"
    assert load(tmp_path).smtp_url == "" and load(tmp_path).sms_webhook_url == ""


def test_the_command_stops_with_that_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "clinic", "worker"], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2],
                          env={"PATH": "/usr/bin:/bin", "CLINIC_DATA_DIR": str(tmp_path), "SMTP_URL": "smtp://x"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == "error: SMTP_URL needs the sender's address as ?from=reminders@example.org"
