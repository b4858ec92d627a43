"""Front-desk screens: the patient list, the header search, registration, edits."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from clinic.core.errors import Invalid
from clinic.patients import listing, services
from clinic.patients.merge import MergeRefused, merge
from clinic.patients.normalise import date_hint, format_phone
from clinic.patients.search import search_patients
from clinic.patients.tables import Patient
from clinic.patients.validation import RELATIONS, SEXES
from clinic.web.actors import actor_of
from clinic.web.forms import Form, read_form
from clinic.web.pages import render

READ = {"permission": "patients.read"}
WRITE = {"permission": "patients.write"}


async def require_patient(patient_id: int) -> dict:
    try:
        return await services.get_patient(patient_id)
    except services.PatientNotFound:
        raise NotFoundException() from None


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
    return {"form": form, "sexes": SEXES, "clinicians": await services.clinicians(), "relations": RELATIONS,
            "date_hint": date_hint(settings.date_order), "labels": services.LABELS, **extra}


class PatientsController(Controller):
    path = "/patients"

    @get(name="patients:list", opt=READ)
    async def list(self, request: Request, status: FromQuery[str] = "active", provider: FromQuery[str] = "",
                   last_visit: FromQuery[str] = "", sort: FromQuery[str] = "name",
                   page: FromQuery[int] = 1) -> Response:
        filters = listing.ListFilters.parse(status, provider, last_visit, sort)
        result = await listing.patient_page(filters, page)
        settings = request.app.state.settings
        return render(request, "patients/list.html", {
            "page": result, "filters": filters, "clinicians": await services.clinicians(),
            "statuses": listing.STATUSES, "last_visits": listing.LAST_VISIT, "sorts": listing.SORT_LABELS,
            "page_url": lambda number: "/patients?" + urlencode({**filters.params(), "page": number}),
            "today": services.today_in(settings.tz),
        }, block="patient_rows")

    @post("/search", name="patients:search", opt=READ, status_code=200)
    async def search(self, request: Request) -> Response:
        """POST, so what was typed (names, birth dates) never lands in a URL or a log."""
        form = await read_form(request)
        text = form.get("q")[:100]
        settings = request.app.state.settings
        hits = []
        if len(text.strip()) >= 2:
            hits = await search_patients(text, date_order=settings.date_order, today=services.today_in(settings.tz),
                                         country=settings.country, include_archived=form.get("archived") == "1")
        return render(request, "patients/search.html", {"q": text, "hits": hits,
                                                        "include_archived": form.get("archived") == "1"},
                      block="search_results")

    @get("/new", name="patients:new", opt=WRITE)
    async def new(self, request: Request) -> Response:
        return render(request, "patients/new.html", await form_context(request, Form(values={"sex": ""})))

    @post("/new", name="patients:create", opt=WRITE, status_code=200)
    async def create(self, request: Request) -> Response:
        form = await read_form(request)
        settings = request.app.state.settings
        try:
            patient_id = await services.register(form.values, actor_of(request), services.locale_of(settings),
                                                 accept_duplicates=form.get("accept_duplicates") == "1")
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "patients/new.html", await form_context(request, form), block="patient_form",
                          status_code=422)
        except services.PossibleDuplicates as found:
            return render(request, "patients/new.html", await form_context(
                request, form, duplicates=found.matches, date_order=settings.date_order), block="patient_form",
                status_code=409)
        return redirect(request, f"/patients/{patient_id}")

    @get("/{patient_id:int}/edit", name="patients:edit", opt=WRITE)
    async def edit(self, request: Request, patient_id: FromPath[int]) -> Response:
        row = await require_patient(patient_id)
        form = Form(values=form_values(row, request.app.state.settings))
        return render(request, "patients/edit.html", await form_context(request, form, patient=row))

    @post("/{patient_id:int}/edit", name="patients:update", opt=WRITE, status_code=200)
    async def update(self, request: Request, patient_id: FromPath[int]) -> Response:
        row = await require_patient(patient_id)
        form = await read_form(request)
        settings = request.app.state.settings
        version = int(form.get("version")) if form.get("version").isdigit() else -1
        try:
            await services.update(patient_id, form.values, version, actor_of(request), services.locale_of(settings))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "patients/edit.html", await form_context(request, form, patient=row),
                          block="patient_form", status_code=422)
        except services.EditConflict as conflict:
            theirs = form_values(conflict.current, settings)
            form.values["version"] = str(conflict.current["version"])  # saving again overrides, knowingly
            return render(request, "patients/edit.html", await form_context(
                request, form, patient=row, conflict=conflict, theirs=theirs), block="patient_form", status_code=409)
        return redirect(request, f"/patients/{patient_id}")

    @post("/{patient_id:int}/archive", name="patients:archive", opt=WRITE, status_code=200)
    async def archive(self, request: Request, patient_id: FromPath[int]) -> Response:
        await require_patient(patient_id)
        await services.set_archived(patient_id, True, actor_of(request))
        return redirect(request, f"/patients/{patient_id}")

    @post("/{patient_id:int}/restore", name="patients:restore", opt=WRITE, status_code=200)
    async def restore(self, request: Request, patient_id: FromPath[int]) -> Response:
        row = await require_patient(patient_id)
        if row["merged_into"]:
            raise NotFoundException(detail="A merged record cannot be restored.")
        await services.set_archived(patient_id, False, actor_of(request))
        return redirect(request, f"/patients/{patient_id}")

    @get("/{patient_id:int}/merge", name="patients:merge_form", opt=WRITE)
    async def merge_form(self, request: Request, patient_id: FromPath[int]) -> Response:
        row = await require_patient(patient_id)
        return render(request, "patients/merge.html", {"patient": row, "form": Form(), "candidate": None})

    @post("/{patient_id:int}/merge", name="patients:merge", status_code=200,
          opt={"permission": "patients.write", "recent_auth": True})
    async def merge_submit(self, request: Request, patient_id: FromPath[int]) -> Response:
        """Merge this (duplicate) record into the survivor named by its MRN."""
        row = await require_patient(patient_id)
        form = await read_form(request)
        mrn = form.get("survivor_mrn").replace("-", "").replace(" ", "")
        survivor = await Patient.select(Patient.id, Patient.first_name, Patient.last_name, Patient.mrn,
                                        Patient.date_of_birth).where(Patient.mrn == mrn).first() if mrn else None
        if survivor is None:
            form.errors = {"survivor_mrn": "No patient has this MRN."}
            return render(request, "patients/merge.html", {"patient": row, "form": form, "candidate": None},
                          status_code=422)
        if form.get("confirm") != "1":
            return render(request, "patients/merge.html", {"patient": row, "form": form, "candidate": survivor})
        try:
            await merge(patient_id, survivor["id"], actor_of(request))
        except MergeRefused as refused:
            form.errors = {"survivor_mrn": str(refused)}
            return render(request, "patients/merge.html", {"patient": row, "form": form, "candidate": None},
                          status_code=409)
        return redirect(request, f"/patients/{survivor['id']}")


def redirect(request: Request, location: str) -> Response:
    """After a successful POST: HTMX navigates, a plain form gets a 303."""
    if request.headers.get("hx-request") == "true":
        return Response(b"", status_code=200, headers={"HX-Redirect": location})
    return Redirect(location, status_code=303)

