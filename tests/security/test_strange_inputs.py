"""No input causes a 500: every route, every path, query and form parameter, strange values.

Like the route walk, the routes are discovered, so a new screen is covered
without a new test. Each endpoint is tried as a role that may use it (so the
request reaches the handler), with each strange value in each path parameter,
in every query parameter the handler declares, and in every form field any
form of the app declares (all at once).
"""

from __future__ import annotations

import inspect
import re
from urllib.parse import quote, urlencode

import pytest

from clinic.security.permissions import MATRIX, Role
from tests.factories import add_chart_entry, csrf_token, make_patient, sign_in_as
from tests.security.test_route_walk import every_endpoint

STRANGE = ["²", "9" * 23, "2147483648", "-1", "0", "NaN", "sNaN", "Infinity", "1e308", "", " ", "9999-12-31", "0000-00-00",
           "٣", "😀", "\x00", "a" * 5000, "%", "' OR 1=1 --", "<script>x</script>", "2026-02-30", "25:61"]
# A whole-number path parameter is matched by the router as digits; these reach the handler.
IN_NUMBER_PATHS = {"9" * 23, "0", "2147483648"}
# Values that only make sense in a query string or a form, not in a URL path.
NOT_IN_PATHS = {"", " ", "\x00", "a" * 5000}
ROLE_ORDER = [Role.ADMIN, Role.DOCTOR, Role.RECEPTIONIST, Role.BILLING, Role.NURSE]
PARAM = re.compile(r"\{(\w+):(\w+)\}")


def every_form_field() -> set[str]:
    """Every field name any declared form has, and the hidden ones screens read."""
    import importlib
    import pkgutil

    import clinic
    from clinic.core.forms import FormSpec

    names = {"version", "confirm", "accept_duplicates", "accept_duplicate", "status", "next", "q", "archived"}
    for module_info in pkgutil.walk_packages(clinic.__path__, "clinic."):
        if not module_info.name.endswith("forms"):
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if isinstance(value, FormSpec):
                names.update(value.names())
    # Forms built by functions (filters, hours): their names are known by their screens.
    names.update({"staff", "action", "patient", "date_from", "date_to", "order", "provider", "last_visit", "sort",
                  "role", "opens_0_0", "closes_0_0", "opens_3_1", "closes_3_1", "systolic", "diastolic", "pulse",
                  "temperature", "weight", "height", "respiratory_rate", "oxygen_saturation", "notes", "code",
                  "recovery_code", "mfa_required_for", "first_day", "last_day"})
    return names


def query_params(handler) -> list[str]:
    signature = inspect.signature(handler.fn)
    skip = {"self", "request", "access", "data"}
    return [name for name in signature.parameters if name not in skip and not name.endswith("_id")
            and name != "section_key"]


def role_for(permission: str) -> Role | None:
    return next((role for role in ROLE_ORDER if permission in MATRIX[role]), None)


def urls_for(path: str, value: str, ids: dict[str, int]) -> list[str]:
    """The route with each path parameter in turn set to ``value`` (the others real)."""
    params = PARAM.findall(path)
    real = {name: str(ids.get(name, 1)) if kind == "int" else "allergies" for name, kind in params}
    urls = []
    for name, kind in params:
        if value in NOT_IN_PATHS or (kind == "int" and value not in IN_NUMBER_PATHS):
            continue
        values = {**real, name: quote(value, safe="")}
        urls.append(PARAM.sub(lambda m, values=values: values[m.group(1)], path))
    urls.append(PARAM.sub(lambda m: real[m.group(1)], path))
    return urls


@pytest.mark.parametrize("role", [role.value for role in ROLE_ORDER])
def test_no_strange_value_anywhere_causes_a_server_error(harness, role):
    fields = every_form_field()
    staff = sign_in_as(harness, role)
    patient_id = harness.run(make_patient, staff["id"])
    entry_id = harness.run(add_chart_entry, "allergies", patient_id, substance="Latex")
    ids = {"patient_id": patient_id, "entry_id": entry_id, "staff_id": staff["id"]}
    client = harness.client
    token = csrf_token(client)
    failures = []
    for path, method, handler in every_endpoint(harness.app):
        opt = handler.opt
        if opt.get("public") or opt.get("sessionless") or role_for(opt.get("permission", "")) != Role(role):
            continue
        if path in ("/signout", "/account/mfa/disable") or opt.get("recent_auth"):
            continue  # would end the walk, or ask for the password again first (tested apart)
        for value in STRANGE:
            for url in urls_for(path, value, ids):
                query = {name: value for name in query_params(handler)}
                target = url + ("?" + urlencode(query) if query and method == "GET" else "")
                for htmx in (False, True):
                    headers = {"X-CSRFToken": token, **({"HX-Request": "true"} if htmx else {})}
                    if method == "GET":
                        response = client.get(target, headers=headers, follow_redirects=False)
                    else:
                        response = client.request(method, target, headers=headers, follow_redirects=False,
                                                  data={name: value for name in fields})
                    if response.status_code >= 500:
                        failures.append(f"{method} {target[:120]!r} (htmx={htmx}) -> {response.status_code}")
        if len(failures) > 40:
            break
    assert failures == [], "\n".join(failures[:40])
