"""Front-desk screens: the patient list, the header search, registration, edits,
archive and restore, merging a duplicate, revealing the national id."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery

from clinic.core.errors import Invalid
from clinic.core.forms import Form, parse_integer
from clinic.core.paging import page_number
from clinic.patients import listing, services
from clinic.patients.access import PATIENT_ACCESS, PatientAccess, shown_patients
from clinic.patients.forms import MERGE_FORM, PATIENT_FIELDSETS, PATIENT_FORM, list_filters
from clinic.patients.merge import MergeRefused, merge
from clinic.patients.normalise import date_hint, format_phone
from clinic.patients.search import search_patients
from clinic.patients.tables import Patient
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import navigate, render

READ = {"permission": "patients.read"}
WRITE = {"permission": "patients.write"}


def form_values(row: dict, settings) -> dict:
    """A stored patient as the strings the form shows."""
    values = {name: row[name] for name in services.EDITABLE}
    values["date_of_birth"] = row["date_of_birth"].isoformat()
    for name in ("phone", "phone_alt", "emergency_contact_phone"):
        values[name] = format_phone(row[name], settings.country)
    values["primary_provider"] = str(row["primary_provider"] or "")
    values["national_id"] = ""
    values["version"] = str(row["version"])
    return values


async def form_context(request: Request, form: Form, **extra) -> dict:
    settings = request.app.state.settings
    clinicians = [(str(c["id"]), c["full_name"]) for c in await services.clinicians()]
    spec = PATIENT_FORM.with_choices("primary_provider", clinicians)
    if "patient" in extra:
        spec = spec.with_field("national_id", hint="Stored encrypted. Leave empty to keep what is on file.")
    return {"form": form, "spec": spec, "fieldsets": PATIENT_FIELDSETS, "date_hint": date_hint(settings.date_order),
            "labels": services.LABELS, **extra}


def chart_url(request: Request, patient_id: int) -> str:
    return request.app.route_reverse("records:chart", patient_id=patient_id)


class PatientsController(Controller):
    path = "/patients"

    @get(name="patients:list", opt=READ)
    async def list(self, request: Request, status: FromQuery[str] = "active", provider: FromQuery[str] = "",
                   last_visit: FromQuery[str] = "", sort: FromQuery[str] = "name",
                   page: FromQuery[str] = "1") -> Response:
        filters = listing.ListFilters.parse(status, provider, last_visit, sort)
        result = await listing.patient_page(filters, page_number(page))
        await shown_patients(request, [row["id"] for row in result.rows], "patient list")
        base = request.app.route_reverse("patients:list")
        return render(request, "patients/list.html", {
            "page": result, "filters": Form(values=filters.params()),
            "filters_spec": list_filters(await services.clinicians(), listing.STATUSES, listing.LAST_VISIT,
                                         listing.SORT_LABELS),
            "page_url": lambda number: base + "?" + urlencode({**filters.params(), "page": number}),
            "today": locale_of(request).today(),
        }, block="patient_rows")

    @post("/search", name="patients:search", opt=READ, status_code=200)
    async def search(self, request: Request) -> Response:
        """POST, so what was typed (names, birth dates) never lands in a URL or a log."""
        form = await read_form(request)
        text = form.get("q")[:100]
        settings = request.app.state.settings
        hits = []
        if len(text.strip()) >= 2:
            hits = await search_patients(text, date_order=settings.date_order, today=locale_of(request).today(),
                                         country=settings.country, include_archived=form.get("archived") == "1")
        await shown_patients(request, [hit.id for hit in hits], "search results")
        return render(request, "patients/search.html", {"q": text, "hits": hits,
                                                        "include_archived": form.get("archived") == "1"},
                      block="search_results")

    @get("/new", name="patients:new", opt=WRITE)
    async def new(self, request: Request) -> Response:
        return render(request, "patients/new.html", await form_context(request, Form()))

    @post("/new", name="patients:create", opt=WRITE, status_code=200)
    async def create(self, request: Request) -> Response:
        form = await read_form(request)
        try:
            patient_id = await services.register(form.values, actor_of(request), locale_of(request),
                                                 accept_duplicates=form.get("accept_duplicates") == "1")
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "patients/new.html", await form_context(request, form), block="patient_form",
                          status_code=422)
        except services.PossibleDuplicates as found:
            await shown_patients(request, [match["id"] for match in found.matches], "possible duplicates")
            return render(request, "patients/new.html", await form_context(request, form, duplicates=found.matches),
                          block="patient_form", status_code=409)
        return navigate(request, chart_url(request, patient_id), notice="Patient registered.")


class PatientRecordController(Controller):
    """One patient's demographics: edit, archive, restore, merge, reveal."""

    path = "/patients/{patient_id:int}"
    dependencies = PATIENT_ACCESS

    @get("/edit", name="patients:edit", opt={**WRITE, "shows": "edit form"})
    async def edit(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        form = Form(values=form_values(access.patient, request.app.state.settings))
        return render(request, "patients/edit.html", await form_context(request, form, patient=access.patient))

    @post("/edit", name="patients:update", opt=WRITE, status_code=200)
    async def update(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        form = await read_form(request)
        settings = request.app.state.settings
        version = parse_integer(form.get("version"), minimum=1) or -1  # anything else is stale
        try:
            await services.update(access.patient_id, form.values, version, actor_of(request),
                                  locale_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "patients/edit.html", await form_context(request, form, patient=access.patient),
                          block="patient_form", status_code=422)
        except services.EditConflict as conflict:
            theirs = form_values(conflict.current, settings)
            await shown_patients(request, [access.patient_id], "edit conflict")
            form.values["version"] = str(conflict.current["version"])  # saving again overrides, knowingly
            return render(request, "patients/edit.html", await form_context(
                request, form, patient=access.patient, conflict=conflict, theirs=theirs), block="patient_form",
                status_code=409)
        return navigate(request, chart_url(request, access.patient_id), notice="Details saved.")

    @post("/archive", name="patients:archive", opt=WRITE, status_code=200)
    async def archive(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        await services.set_archived(access.patient_id, True, actor_of(request))
        return navigate(request, chart_url(request, access.patient_id), notice="Record archived.")

    @post("/restore", name="patients:restore", opt=WRITE, status_code=200)
    async def restore(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        if access.patient["merged_into"]:
            raise NotFoundException(detail="A merged record cannot be restored.")
        await services.set_archived(access.patient_id, False, actor_of(request))
        return navigate(request, chart_url(request, access.patient_id), notice="Record restored.")

    @get("/merge", name="patients:merge_form", opt={**WRITE, "shows": "merge form"})
    async def merge_form(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        return render(request, "patients/merge.html", {"patient": access.patient, "form": Form(),
                                                       "spec": MERGE_FORM, "candidate": None})

    @post("/merge", name="patients:merge", status_code=200,
          opt={"permission": "patients.write", "recent_auth": True})
    async def merge_submit(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        """Merge this (duplicate) record into the survivor named by its MRN."""
        form = await read_form(request)
        context = {"patient": access.patient, "form": form, "spec": MERGE_FORM, "candidate": None}
        mrn = form.get("survivor_mrn").replace("-", "").replace(" ", "")[:20]
        survivor = await Patient.select(Patient.id, Patient.first_name, Patient.last_name, Patient.mrn,
                                        Patient.date_of_birth).where(Patient.mrn == mrn).first() if mrn else None
        if survivor is None:
            form.errors = {"survivor_mrn": "No patient has this MRN." if mrn else "Enter the MRN of the record to keep."}
            return render(request, "patients/merge.html", context, block="merge_form", status_code=422)
        if form.get("confirm") != "1":
            await shown_patients(request, [survivor["id"]], "merge preview")
            return render(request, "patients/merge.html", {**context, "candidate": survivor}, block="merge_form")
        try:
            await merge(access.patient_id, survivor["id"], actor_of(request))
        except MergeRefused as refused:
            form.errors = {"survivor_mrn": str(refused)}
            return render(request, "patients/merge.html", context, block="merge_form", status_code=409)
        return navigate(request, chart_url(request, survivor["id"]), notice="Records merged.")

    @post("/reveal/national-id", name="patients:reveal_national_id", status_code=200,
          opt={"permission": "sensitive.reveal"})
    async def reveal_national_id(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        value = await services.reveal_national_id(access.patient_id, actor_of(request),
                                                  request.app.state.settings.country)
        return render(request, "patients/reveal.html", {"value": value or "Not recorded",
                                                        "target": "national-id"}, block="revealed")
