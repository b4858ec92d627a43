"""The header search: what it matches, how it ranks, how small and fast it is."""

from __future__ import annotations

import datetime as dt

from clinic.db import is_mysql
from clinic.patients.search import COLUMNS, queries_for
from clinic.patients.tables import Patient
from clinic.scheduling.tables import Appointment
from tests.factories import make_patient, mrn_of, post, sign_in_as
from tests.helpers import html, is_fragment


def found(client, text, **extra) -> list[int]:
    response = post(client, "/patients/search", {"q": text, **extra}, htmx=True)
    assert response.status_code == 200 and is_fragment(response)
    return [int(node.attributes["data-patient-id"]) for node in html(response).css("a[data-patient-id]")]


def test_names_match_by_prefix_ignoring_case_and_accents(harness, client):
    sign_in_as(harness, "receptionist")
    jose = harness.run(make_patient, first_name="José", last_name="Núñez", date_of_birth="1975-07-04")
    muller = harness.run(make_patient, first_name="Zoë", last_name="Müller", date_of_birth="1990-01-02",
                         preferred_name="Zo")
    obrien = harness.run(make_patient, first_name="Sean", last_name="O'Brien", date_of_birth="1985-05-05")
    assert found(client, "nun") == [jose]
    assert found(client, "NÚÑ") == [jose]
    assert found(client, "jos") == [jose]
    assert found(client, "mull") == [muller]
    assert found(client, "MÜLLER, zo") == [muller]
    assert found(client, "zoe mul") == [muller]
    assert found(client, "obri") == [obrien]
    assert found(client, "o'brien") == [obrien]
    assert found(client, "nobody") == []


def test_it_finds_a_patient_by_mrn_birth_date_or_phone_digits(harness, client):
    sign_in_as(harness, "receptionist")
    target = harness.run(make_patient, first_name="Ada", last_name="Byron", date_of_birth="1980-12-10",
                         phone="(415) 555-0177")
    harness.run(make_patient, first_name="Other", last_name="Person", date_of_birth="1981-12-10",
                phone="(212) 555-0100")
    mrn = mrn_of(harness, target)
    assert found(client, mrn) == [target]
    assert found(client, f"{mrn[:-1]}-{mrn[-1]}") == [target]
    assert found(client, "12/10/1980") == [target]  # the clinic's date order (US)
    assert found(client, "1980-12-10") == [target]
    assert found(client, "0177") == [target]
    assert found(client, "555-0177") == [target]
    assert found(client, "(415) 555 0177") == [target]
    assert found(client, "+1 415 555 0177") == [target]


def test_digits_the_search_cannot_read_find_nothing_rather_than_fail(harness, client):
    sign_in_as(harness, "receptionist")
    harness.run(make_patient, phone="(415) 555-0123")
    assert found(client, "12345²6") == []
    assert found(client, "٥٥٥٠١٢٣") == []


def test_exact_last_names_come_first_then_prefixes_then_first_names(harness, client):
    sign_in_as(harness, "receptionist")
    first_name_match = harness.run(make_patient, first_name="Lee", last_name="Adams", date_of_birth="1970-01-01")
    prefix = harness.run(make_patient, first_name="Amy", last_name="Leeds", date_of_birth="1971-01-01")
    exact = harness.run(make_patient, first_name="Zed", last_name="Lee", date_of_birth="1972-01-01")
    assert found(client, "lee") == [exact, prefix, first_name_match]


def test_results_show_what_the_front_desk_needs(harness, client):
    staff = sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient, first_name="Grace", last_name="Hopper", date_of_birth="1960-12-09",
                             phone="(617) 555-0123")
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    harness.run(Appointment.insert(Appointment(patient=patient_id, provider=staff["id"], starts_at=soon,
                                               ends_at=soon + dt.timedelta(minutes=15))).run)
    tree = html(post(client, "/patients/search", {"q": "hopper"}, htmx=True))
    hit = tree.css_first("a[data-patient-id]")
    text = hit.text()
    assert "Hopper, Grace" in text and "12/09/1960" in text and "(617) 555-0123" in text and "Next:" in text
    assert hit.attributes["role"] == "option" and hit.attributes["href"] == f"/patients/{patient_id}"


def test_twenty_results_fit_in_under_ten_kilobytes(harness, client):
    sign_in_as(harness, "receptionist")
    for n in range(25):
        harness.run(make_patient, first_name=f"Christopher{n}", last_name="Montgomery-Wellington",
                    date_of_birth=f"19{50 + n}-01-01", phone=f"(415) 555-01{n:02d}")
    response = post(client, "/patients/search", {"q": "montgomery"}, htmx=True)
    assert len(found(client, "montgomery")) == 20
    assert len(response.content) < 10 * 1024, len(response.content)


def test_typed_names_never_go_into_a_url(harness, client):
    sign_in_as(harness, "receptionist")
    assert client.get("/patients/search?q=smith").status_code == 405
    assert client.post("/patients/search", data={"q": "smith"}).status_code == 403  # no CSRF token
    tree = html(client.get("/patients"))
    search = tree.css_first("form.header-search")
    assert search.attributes["method"] == "post" and search.attributes["hx-post"] == "/patients/search"


def explain(harness, condition) -> str:
    """The database's plan for one search query, as text."""
    query = Patient.select(*COLUMNS).where(condition & Patient.archived_at.is_null()).limit(60)
    querystring = query.querystrings[0]
    if is_mysql(harness.engine):
        sql, args = harness.engine.prepare(querystring)
        literal = sql % tuple(f"'{arg}'" if isinstance(arg, str) else str(arg) for arg in args)
        rows = harness.run(harness.engine.fetch, "EXPLAIN " + literal)
        return " | ".join(f"{row['table']}:{row['type']}:{row['key']}" for row in rows)

    sql, args = querystring.compile_string(engine_type="sqlite")
    rows = harness.run(harness.engine._run, "EXPLAIN QUERY PLAN " + sql, list(args))
    return " | ".join(row["detail"] for row in rows)


async def many_patients(count: int) -> None:
    """Realistic volume and spread, inserted in bulk (the planner needs both to prefer an index)."""
    import random

    from clinic.patients.identifiers import new_mrn
    from clinic.patients.normalise import name_key, phone_search_key

    rng = random.Random(5)
    syllables = ["an", "bel", "cor", "dan", "el", "fer", "gal", "hol", "ing", "jon", "kal", "lor", "mar", "nor",
                 "ost", "par", "quin", "ros", "sal", "tor", "ul", "var", "wes", "yor", "zan"]
    rows, mrns = [], set()
    for _ in range(count):
        mrn = new_mrn(rng)
        while mrn in mrns:
            mrn = new_mrn(rng)
        mrns.add(mrn)
        last = (rng.choice(syllables) + rng.choice(syllables) + rng.choice(syllables)).capitalize()
        first = (rng.choice(syllables) + rng.choice(syllables)).capitalize()
        phone = f"+1415555{rng.randrange(1000, 9999)}"
        rows.append(Patient(mrn=mrn, first_name=first, last_name=last,
                            date_of_birth=dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 30000)),
                            phone=phone, last_name_key=name_key(last), first_name_key=name_key(first),
                            phone_key=phone_search_key(phone)))
    for start in range(0, len(rows), 500):
        await Patient.insert(*rows[start:start + 500])


def test_every_kind_of_search_uses_an_index(harness):
    harness.run(many_patients, 2000)
    # The patient table alone: statistics of the worker's other (near-empty) tables would make later tests'
    # plans scan them.
    harness.sql("ANALYZE TABLE patient" if is_mysql(harness.engine) else 'ANALYZE "patient"')
    sample = harness.sql("SELECT mrn, date_of_birth, last_name_key, first_name_key FROM patient LIMIT 1")[0]
    last, first = sample["last_name_key"], sample["first_name_key"]
    texts = (last[:3], f"{first[:3]} {last[:3]}", f"{last}, {first[:2]}", sample["mrn"],
             sample["date_of_birth"].strftime("%m/%d/%Y"), "5550123")
    for text in texts:
        for condition in queries_for(text, "MDY"):
            plan = explain(harness, condition)
            if is_mysql(harness.engine):
                assert ":ALL:" not in plan and ":None" not in plan, (text, plan)
            else:
                assert "SCAN patient" not in plan and "USING INDEX" in plan, (text, plan)
