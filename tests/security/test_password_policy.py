"""The password policy: length, the person's and the clinic's own words, demo passwords, zxcvbn's estimate."""

from __future__ import annotations

import subprocess
import sys

import pytest

from clinic.security.passwords import demo_password, password_problem
from clinic.security.permissions import Role

PERSON = {"email": "amara.okafor@riverside-clinic.org", "name": "Amara Okafor",
          "clinic_name": "Riverside Family Clinic"}


@pytest.mark.parametrize("password", ["qwertyuiopas", "democlinic2026", "Riverside2026!!", "riversidefamily2026",
                                      "okaforamara1990", "Familyclinic2026"])
def test_it_refuses_keyboard_rows_and_the_clinics_own_words(password):
    assert password_problem(password, **PERSON) is not None


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_it_refuses_the_published_demo_passwords_and_near_copies(role):
    published = demo_password(role)
    for copy in (published, published.upper(), published.replace("2026", "2027"), published.replace("-", ""),
                 published.replace("-", " ") + "!", published.replace("o", "0").replace("e", "3"),
                 f"demo-password-{role}", "demopassword2026"):
        problem = password_problem(copy, **PERSON)
        assert problem is not None and "demo clinic's published passwords" in problem, copy


@pytest.mark.parametrize("password", [
    "password1234", "P@ssw0rd2024!", "qwertyuiop123", "123456789012", "aaaaaaaaaaaa", "Welcome2026!!",
    "letmeinletmein", "Lucky!2026!!", "!!69692025##", "Hospital2026!", "1701!2026!!!", "Receptionist1!"])
def test_it_refuses_common_passwords_and_common_words_with_digits_and_symbols_around_them(password):
    assert password_problem(password) is not None


def test_it_says_why_with_zxcvbns_advice():
    assert password_problem("password1234") == (
        "This password would be too easy to guess. This is a very common password. "
        "Add another word or two. Uncommon words are better.")
    padded = password_problem("Lucky!2026!!")
    assert padded.startswith("This password would be too easy to guess: digits and symbols added to a common word")


def test_it_refuses_short_passwords_and_ones_built_on_the_email_or_name():
    assert password_problem("short") is not None
    assert "email" in password_problem("jane.doe.clinic!", email="jane.doe@riverside-clinic.org")
    assert "name" in password_problem("okafor!!2026", **PERSON)


@pytest.mark.parametrize("password", ["correct horse battery staple", "violet tram harbour 42",
                                      "quiet river lantern 7", "granite falcon meadow 9", "blue-coffee-table",
                                      "Prescription pad 7", "my cat is called Mo", "8413-9920-7736"])
def test_it_accepts_a_few_unrelated_words(password):
    assert password_problem(password, **PERSON) is None


def test_the_estimator_is_loaded_only_when_a_password_is_checked():
    # The web process has 256 MB; zxcvbn's lists take about 14 of them.
    check = "import sys, clinic.app; print('zxcvbn' in sys.modules)"
    started = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert started.stdout.strip() == "False", started.stderr
