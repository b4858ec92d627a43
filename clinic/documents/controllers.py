"""A patient's documents: the list with thumbnails, attaching one, downloading one.

Reads go through the patient-access dependency (clinical access checked,
the read audited: a download as ``document.download`` naming the document).
A download is always an attachment: never rendered from our origin, and sent
with a sandboxing Content-Security-Policy in case a browser opens it anyway.
A PDF may also be opened in the browser's own viewer (``view``), only when its
stored bytes are a PDF's (clinic.web.files).
"""

from __future__ import annotations


from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from clinic.core.errors import Invalid
from clinic.core.forms import Form, parse_integer
from clinic.documents import services
from clinic.documents.forms import DOCUMENT_FORM
from clinic.documents.storage import UnreadableDocument
from clinic.patients.access import PATIENT_ACCESS, PatientAccess
from clinic.web.actors import actor_of
from clinic.web.forms import MAX_FIELD_LENGTH
from clinic.web.pages import render
from clinic.web import files

READ = {"permission": "patients.read", "patient": "clinical"}
WRITE = {"permission": "clinical.write", "patient": "clinical"}
CHANGED = {"HX-Trigger": "chart-changed"}
# Above CLINIC_DOCUMENT_MAX_MB's ceiling: the setting is enforced by the handler, with a message.
UPLOAD_BODY_CEILING = 101 * 1024 * 1024
NEW_DOCUMENT = {"category": "other"}


def settings_of(request: Request):
    return request.app.state.settings


async def section(request: Request, access: PatientAccess, form: Form, *, notice: str = "", status_code: int = 200,
                  headers: dict | None = None) -> Response:
    settings = settings_of(request)
    return render(request, "documents/list.html", {
        "patient": access.patient, "documents": await services.documents_of(access.patient_id,
                                                                           settings.documents_dir),
        "form": form, "document_form": DOCUMENT_FORM, "can_write": request.scope["user"].can("clinical.write"),
        "max_label": services.size_label(settings.document_max_bytes), "accepted": services.accepted_types(),
    }, block="documents", status_code=status_code, notice=notice, headers=headers)


async def read_upload(request: Request) -> tuple[Form, services.Upload | None]:
    data = await request.form()
    values = {}
    upload = None
    for key in data.keys():
        value = data.getall(key)[-1]
        if isinstance(value, UploadFile):
            if key == "file" and value.filename:
                upload = services.Upload(value.filename, await value.read())
        elif isinstance(value, str) and key != "_csrf_token":
            values[key] = value[:MAX_FIELD_LENGTH].strip()
    return Form(values=values), upload


class DocumentController(Controller):
    path = "/patients/{patient_id:int}/documents"
    dependencies = PATIENT_ACCESS

    @get(name="documents:list", opt={**READ, "shows": "documents"})
    async def documents(self, request: Request, access: NamedDependency[PatientAccess],
                        visit: FromQuery[str] = "") -> Response:
        """``?visit=<id>``: a document attached from a visit is linked to it."""
        values = dict(NEW_DOCUMENT)
        if parse_integer(visit, minimum=1, maximum=2_147_483_647):
            values["visit_id"] = visit.strip()
        return await section(request, access, Form(values=values))

    @post(name="documents:upload", opt=WRITE, status_code=200, request_max_body_size=UPLOAD_BODY_CEILING)
    async def upload(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        settings = settings_of(request)
        limit = settings.document_max_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit + 64 * 1024:
            # Refused before reading it: say why, with the limit.
            form = Form(values=dict(NEW_DOCUMENT), errors={
                "file": f"This file is larger than the limit of {services.size_label(limit)}."})
            return await section(request, access, form, status_code=413)
        form, upload = await read_upload(request)
        try:
            await services.attach(access.patient_id, form.values, upload, actor_of(request),
                                  folder=settings.documents_dir, max_bytes=limit)
        except Invalid as invalid:
            form.errors = invalid.errors
            return await section(request, access, form, status_code=422)
        # The next document from the same visit is linked to it too.
        following = {**NEW_DOCUMENT, **({"visit_id": form.get("visit_id")} if form.get("visit_id") else {})}
        return await section(request, access, Form(values=following), notice="Document attached.", headers=CHANGED)

    @get("/{document_id:int}/download", name="documents:download",
         opt={**READ, "shows": "document {document_id}", "audit_action": "document.download"})
    async def download(self, request: Request, access: NamedDependency[PatientAccess],
                       document_id: FromPath[int]) -> Response:
        row, content = await stored_document(request, access, document_id)
        return files.download(content, row["media_type"], services.download_name(row))

    @get("/{document_id:int}/view", name="documents:view",
         opt={**READ, "shows": "document {document_id}", "audit_action": "document.view"})
    async def view(self, request: Request, access: NamedDependency[PatientAccess],
                   document_id: FromPath[int]) -> Response:
        row, content = await stored_document(request, access, document_id)
        if row["media_type"] != "application/pdf":
            # Only PDFs have a viewer of the browser's own; an image or scan is saved like any download.
            return files.download(content, row["media_type"], services.download_name(row))
        return files.pdf_view(content, services.download_name(row))

    @post("/{document_id:int}/error", name="documents:error", opt=WRITE, status_code=200)
    async def entered_in_error(self, request: Request, access: NamedDependency[PatientAccess],
                               document_id: FromPath[int]) -> Response:
        try:
            await services.mark_entered_in_error(access.patient_id, document_id, actor_of(request))
        except services.DocumentNotFound:
            raise NotFoundException() from None
        return await section(request, access, Form(values=dict(NEW_DOCUMENT)),
                             notice="Marked as entered in error.", headers=CHANGED)


async def stored_document(request: Request, access: PatientAccess, document_id: int) -> tuple[dict, bytes]:
    """The document's row and decrypted bytes, or 404 (another patient's, removed, or unreadable)."""
    try:
        return await services.read_document(access.patient_id, document_id, settings_of(request).documents_dir)
    except services.DocumentNotFound:
        raise NotFoundException() from None
    except UnreadableDocument:
        raise NotFoundException(detail="The stored file for this document cannot be read.") from None
