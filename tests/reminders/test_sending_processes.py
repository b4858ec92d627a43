"""Two app instances (OS processes, each with its own pool and three senders) sending the same
outbox at once: every reminder reaches the SMTP server exactly once (SQLite and MariaDB)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import time_machine

from clinic.paths import PROJECT_ROOT
from clinic.reminders import config, services
from tests.factories import local_time, make_patient
from tests.reminders.conftest import MONDAY, TUESDAY, book, outbox


def test_two_instances_sending_at_once_deliver_each_reminder_exactly_once(harness, database_url, clinic, mailbox):
    hours = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "13:00", "13:30", "14:00", "14:30"]
    for index, hhmm in enumerate(hours):
        patient = harness.run(make_patient, first_name=f"P{index}", last_name="Twoinstances",
                              email=f"p{index}@example.org", phone="")
        book(harness, clinic, day=TUESDAY, hhmm=hhmm, patient=patient)
    now = local_time(MONDAY, "16:00")
    with time_machine.travel(now, tick=False):
        assert harness.run(services.generate_reminders)["created"] == len(hours)
    start_at = time.time() + 2.5  # both imported and connected by then
    processes = [
        subprocess.Popen([sys.executable, "-m", "tests.reminders.sending_process", database_url,
                          config.current.delivery.smtp_url, now.isoformat(), str(start_at)],
                         cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        results = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    assert [process.returncode for process in processes] == [0, 0], [error for _, error in results]
    counts = [count for output, _ in results for count in json.loads(output.strip().splitlines()[-1])]
    assert sum(count["sent"] for count in counts) == len(hours)
    message_ids = [message["Message-ID"] for message in mailbox.messages]
    assert len(message_ids) == len(set(message_ids)) == len(hours)
    assert {row["state"] for row in outbox(harness)} == {"sent"}
    assert {row["attempts"] for row in outbox(harness)} == {1}
