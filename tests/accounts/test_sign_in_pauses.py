"""Sign-in pauses per account and client address: guessing is slow, locking others out is not possible.

The app sits behind one trusted proxy here, so each request names the client
address it comes from (the ``proxied`` harness).
"""

from __future__ import annotations

import datetime as dt

import time_machine

from clinic.security import throttle
from tests.factories import PASSWORD, make_staff, post, sign_in_as
from tests.helpers import html, one

PAUSED = "Signing in is paused for a few minutes"
DESK = "198.51.100.7"
ATTACKER = "203.0.113.66"


def sign_in_from(harness, address: str, email: str, password: str):
    return post(harness.client, "/signin", {"email": email, "password": password, "next": "/"},
                headers={"X-Forwarded-For": address})


def alert(response) -> str:
    return one(html(response), ".alert-error").text()


def test_failures_from_another_address_do_not_lock_out_the_person_at_their_desk(proxied):
    staff = proxied.run(make_staff, "admin")
    for _ in range(10):
        assert sign_in_from(proxied, ATTACKER, staff["email"], "guessing from afar").status_code == 422
    response = sign_in_from(proxied, DESK, staff["email"], PASSWORD)
    assert response.status_code == 303


def test_the_address_that_failed_stays_paused_even_for_the_right_password(proxied):
    staff = proxied.run(make_staff, "doctor")
    for _ in range(throttle.PAIR_FREE_FAILURES):
        sign_in_from(proxied, ATTACKER, staff["email"], "guessing from afar")
    paused = sign_in_from(proxied, ATTACKER, staff["email"], PASSWORD)
    assert paused.status_code == 422 and alert(paused).startswith(PAUSED)
    # The person signing in from their desk clears only their own count: the guesser stays paused.
    assert sign_in_from(proxied, DESK, staff["email"], PASSWORD).status_code == 303
    again = sign_in_from(proxied, ATTACKER, staff["email"], PASSWORD)
    assert again.status_code == 422 and alert(again).startswith(PAUSED)


def test_an_unknown_email_is_paused_per_address_in_the_same_words(proxied):
    for _ in range(throttle.PAIR_FREE_FAILURES):
        sign_in_from(proxied, ATTACKER, "ghost@riverside-clinic.org", "whatever password 1")
    paused = sign_in_from(proxied, ATTACKER, "ghost@riverside-clinic.org", "whatever password 1")
    assert alert(paused).startswith(PAUSED)
    elsewhere = sign_in_from(proxied, DESK, "ghost@riverside-clinic.org", "whatever password 1")
    assert not alert(elsewhere).startswith(PAUSED)


def note_earlier_failures(harness, email: str, count: int) -> None:
    """Failures already counted against the account from elsewhere (a slow, wide guess)."""
    for _ in range(count):
        harness.run(throttle.note_failure, throttle.account_key(email), throttle.ACCOUNT_CEILING,
                    fixed_pause=throttle.CEILING_PAUSE)


def test_a_hundred_failures_from_anywhere_pause_the_account_for_everyone(proxied):
    staff = proxied.run(make_staff, "nurse")
    note_earlier_failures(proxied, staff["email"], throttle.ACCOUNT_CEILING - 5)
    for n in range(4):
        assert sign_in_from(proxied, ATTACKER, staff["email"], f"guess {n}").status_code == 422
    assert proxied.run(throttle.locked_until, throttle.account_key(staff["email"])) is None
    # The hundredth, from yet another address.
    assert sign_in_from(proxied, "192.0.2.200", staff["email"], "the hundredth guess").status_code == 422
    until = proxied.run(throttle.locked_until, throttle.account_key(staff["email"]))
    assert until is not None and until - dt.datetime.now(dt.timezone.utc) > dt.timedelta(minutes=59)
    paused = sign_in_from(proxied, DESK, staff["email"], PASSWORD)
    assert paused.status_code == 422 and alert(paused).startswith(PAUSED)
    # The pause runs out on its own.
    with time_machine.travel(until + dt.timedelta(seconds=1), tick=True):
        assert sign_in_from(proxied, DESK, staff["email"], PASSWORD).status_code == 303


def test_the_right_password_starts_the_ceiling_count_again(proxied):
    staff = proxied.run(make_staff, "billing")
    note_earlier_failures(proxied, staff["email"], throttle.ACCOUNT_CEILING - 1)
    assert sign_in_from(proxied, DESK, staff["email"], PASSWORD).status_code == 303
    assert proxied.run(throttle.failures, throttle.account_key(staff["email"])) == 0


def staff_row_badges(harness, staff_id: int) -> dict[str, str]:
    tree = html(harness.client.get("/admin/staff?status=all"))
    row = one(tree, f"tr[data-staff-id='{staff_id}']")
    return {node.attributes["data-testid"]: node.text(strip=True) for node in row.css("[data-testid]")}


def test_the_staff_screens_say_whether_sign_in_is_paused_for_everyone_or_at_some_addresses(proxied):
    nurse = proxied.run(make_staff, "nurse")
    doctor = proxied.run(make_staff, "doctor")
    for _ in range(throttle.PAIR_FREE_FAILURES):
        sign_in_from(proxied, ATTACKER, doctor["email"], "guessing from afar")
    proxied.run(throttle.note_failure, throttle.account_key(nurse["email"]), 1, fixed_pause=throttle.CEILING_PAUSE)
    sign_in_as(proxied, "admin")
    assert staff_row_badges(proxied, nurse["id"]) == {"locked": "Sign-in paused"}
    assert staff_row_badges(proxied, doctor["id"]) == {"paused-addresses": "Paused at 1 address"}
    detail = html(proxied.client.get(f"/admin/staff/{doctor['id']}"))
    assert "they can still sign in from elsewhere" in one(detail, "#staff-access").text()
    assert detail.css_first(f"form[action='/admin/staff/{doctor['id']}/unlock']") is not None


def test_unlocking_lifts_the_pause_for_everyone_and_at_every_address(proxied):
    staff = proxied.run(make_staff, "receptionist")
    for _ in range(throttle.PAIR_FREE_FAILURES):
        sign_in_from(proxied, ATTACKER, staff["email"], "guessing from afar")
    proxied.run(throttle.note_failure, throttle.account_key(staff["email"]), 1, fixed_pause=throttle.CEILING_PAUSE)
    assert alert(sign_in_from(proxied, DESK, staff["email"], PASSWORD)).startswith(PAUSED)
    sign_in_as(proxied, "admin")
    response = post(proxied.client, f"/admin/staff/{staff['id']}/unlock", htmx=True)
    assert response.status_code == 200 and "Sign-in unlocked." in response.text
    assert not html(response).css("[data-testid]")
    proxied.client.cookies.clear()
    assert sign_in_from(proxied, ATTACKER, staff["email"], PASSWORD).status_code == 303
    unlocks = proxied.audit("action = 'staff.unlock'", columns="entity_id")
    assert unlocks == [{"entity_id": str(staff["id"])}]


def test_a_wrong_current_password_counts_like_a_failed_sign_in(proxied):
    staff = sign_in_as(proxied, "doctor")
    before = proxied.sql("SELECT password_hash FROM staff WHERE id = {}", staff["id"])
    headers = {"X-Forwarded-For": ATTACKER}
    change = {"new_password": "granite falcon meadow 9", "confirm_password": "granite falcon meadow 9"}
    for _ in range(throttle.PAIR_FREE_FAILURES):
        wrong = post(proxied.client, "/account/password", {"current_password": "a guess at it", **change},
                     headers=headers)
        assert wrong.status_code == 422
        assert html(wrong).css_first("#e-current_password").text() == "That is not your current password."
    paused = post(proxied.client, "/account/password", {"current_password": PASSWORD, **change}, headers=headers)
    assert paused.status_code == 422
    assert "Too many failed attempts" in html(paused).css_first("#e-current_password").text()
    assert proxied.sql("SELECT password_hash FROM staff WHERE id = {}", staff["id"]) == before
    # The same pause as signing in from that address.
    assert alert(sign_in_from(proxied, ATTACKER, staff["email"], PASSWORD)).startswith(PAUSED)
    failed = proxied.audit("action = 'auth.password_change_failed'", columns="outcome")
    assert [row["outcome"] for row in failed] == ["failure"] * throttle.PAIR_FREE_FAILURES + ["denied"]


def test_wrong_passwords_when_confirming_identity_pause_only_that_address(proxied):
    staff = sign_in_as(proxied, "admin")
    headers = {"X-Forwarded-For": ATTACKER}
    for _ in range(throttle.PAIR_FREE_FAILURES):
        wrong = post(proxied.client, "/account/confirm", {"password": "a guess at it", "next": "/account"},
                     headers=headers)
        assert html(wrong).css_first("#e-password").text() == "That is not your password."
    paused = post(proxied.client, "/account/confirm", {"password": PASSWORD, "next": "/account"}, headers=headers)
    assert paused.status_code == 422 and "Too many failed attempts" in html(paused).css_first("#e-password").text()
    proxied.client.cookies.clear()
    assert alert(sign_in_from(proxied, ATTACKER, staff["email"], PASSWORD)).startswith(PAUSED)
    assert sign_in_from(proxied, DESK, staff["email"], PASSWORD).status_code == 303


def test_password_changes_are_rate_limited(harness, client):
    sign_in_as(harness, "nurse")
    change = {"current_password": "a guess at it", "new_password": "granite falcon meadow 9",
              "confirm_password": "granite falcon meadow 9"}
    statuses = [post(client, "/account/password", change).status_code for _ in range(21)]
    assert statuses[:20] == [422] * 20 and statuses[20] == 429
