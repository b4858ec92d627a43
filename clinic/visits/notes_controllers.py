"""Screens outside one patient's chart: ICD-10-CM search (as you type, from the visit screen), the notes still to sign,
note templates and the clinic's favourite codes (administrators and doctors)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from clinic.core.errors import Invalid
from clinic.core.forms import Form, parse_integer
from clinic.patients.access import shown_patients
from clinic.visits import icd10, note_templates
from clinic.visits.forms import TEMPLATE_FORM
from clinic.visits.queries import unsigned_notes
from clinic.web.actors import actor_of
from clinic.web.forms import read_form
from clinic.web.pages import navigate, render

TEMPLATES = {"permission": "notes.templates"}


class CodesController(Controller):
    path = "/visits/codes"

    @get(name="visits:codes", opt={"permission": "clinical.write"})
    async def codes(self, request: Request) -> Response:
        """ICD-10-CM codes for what was typed (a code or words: not patient data). Only billable
        codes are offered as choices; favourites first."""
        query = request.query_params.get("code_query", "")[:100]
        results = await icd10.search(query) if query.strip() else await icd10.favourites()
        heading = "Matching codes" if query.strip() else "Clinic favourites"
        return render(request, "visits/codes.html", {"results": results, "query": query, "heading": heading},
                      block="code_results")


class UnsignedNotesController(Controller):
    path = "/visits/unsigned"

    @get(name="visits:unsigned", opt={"permission": "clinical.write"})
    async def unsigned(self, request: Request) -> Response:
        """Notes still to sign: one's own drafts; for a doctor, nurses' notes awaiting co-signature."""
        user = request.scope["user"]
        rows = await unsigned_notes(user.id, user.role)
        await shown_patients(request, [row["patient_id"] for row in rows], "unsigned notes")
        return render(request, "visits/unsigned.html", {"rows": rows})


class NoteTemplatesController(Controller):
    path = "/note-templates"

    @get(name="notes:templates", opt=TEMPLATES)
    async def list(self, request: Request) -> Response:
        return await templates_page(request, Form(values={"outline": note_templates.default_outline()}))

    @post(name="notes:template_create", opt=TEMPLATES, status_code=200)
    async def create(self, request: Request) -> Response:
        form = await read_form(request)
        try:
            await note_templates.create_template(form.values, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return await templates_page(request, form, status_code=422, block="new_template")
        return navigate(request, request.app.route_reverse("notes:templates"), notice="Template added.")

    @get("/{template_id:int}", name="notes:template", opt=TEMPLATES)
    async def edit(self, request: Request, template_id: FromPath[int]) -> Response:
        row = await template_or_404(template_id)
        form = Form(values={"name": row["name"], "visit_type": row["visit_type"], "outline": row["outline"],
                            "active": "1" if row["active"] else "", "version": str(row["version"])})
        return render(request, "visits/template.html", {"template": row, "form": form, "spec": TEMPLATE_FORM})

    @post("/{template_id:int}", name="notes:template_update", opt=TEMPLATES, status_code=200)
    async def update(self, request: Request, template_id: FromPath[int]) -> Response:
        row = await template_or_404(template_id)
        form = await read_form(request)
        version = parse_integer(form.get("version"), minimum=1) or -1
        try:
            await note_templates.update_template(template_id, form.values, version, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
        except note_templates.TemplateConflict:
            form.errors = {"_conflict": "Someone else saved this template while you were editing. Your changes "
                                        "are still in the form: reload to see theirs."}
        if form.errors:
            return render(request, "visits/template.html", {"template": row, "form": form, "spec": TEMPLATE_FORM},
                          block="template_form", status_code=422)
        return navigate(request, request.app.route_reverse("notes:templates"), notice="Template saved.")

    @post("/favourites", name="notes:favourite_add", opt=TEMPLATES, status_code=200)
    async def add_favourite(self, request: Request) -> Response:
        form = await read_form(request)
        try:
            await icd10.add_favourite(form.get("favourite_code"), actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return await templates_page(request, Form(), favourite_form=form, status_code=422, block="favourites")
        return await templates_page(request, Form(), block="favourites", notice="Favourite added.")

    @post("/favourites/remove", name="notes:favourite_remove", opt=TEMPLATES, status_code=200)
    async def remove_favourite(self, request: Request) -> Response:
        form = await read_form(request)
        await icd10.remove_favourite(form.get("favourite_code"), actor_of(request))
        return await templates_page(request, Form(), block="favourites", notice="Favourite removed.")


async def template_or_404(template_id: int) -> dict:
    try:
        return await note_templates.template(template_id)
    except note_templates.TemplateNotFound:
        raise NotFoundException() from None


async def templates_page(request: Request, form: Form, *, favourite_form: Form | None = None,
                         status_code: int = 200, block: str | None = None, notice: str = "") -> Response:
    return render(request, "visits/templates.html", {
        "templates": await note_templates.templates(), "form": form,
        "spec": TEMPLATE_FORM, "favourites": await icd10.favourites(),
        "favourite_form": favourite_form or Form(), "codes_loaded": await icd10.loaded_count(),
    }, status_code=status_code, block=block, notice=notice)
