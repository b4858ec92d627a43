"""Patient access in one place: a Litestar dependency every patient route declares.

A handler that shows or changes one patient's record takes ``access:
PatientAccess``. The dependency, before the handler runs:

- loads the patient (404 when there is no such record);
- checks clinical access where the route needs it (``opt["patient"] ==
  "clinical"``): the role's ``clinical.read``, or a break-the-glass grant for
  this patient; a refusal is audited and answered 403;
- writes exactly one read entry to the audit trail for a GET, naming what the
  route shows (``opt["shows"]``, e.g. "chart", "allergies", "edit form"); an
  export says so instead (``opt["audit_action"] = "patient.export"``).

A POST is audited by the service that makes the change, in the change's own
transaction, so it writes no separate read entry. Handlers never check access
or write read entries themselves; a screen that shows several patients (a
list, search results) calls ``shown_patients`` with the ids it shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from litestar import Request
from litestar.di import Provide
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath

from clinic.audit import break_glass
from clinic.audit.services import record
from clinic.patients import services
from clinic.web.actors import actor_of

CLINICAL_REFUSAL = ("Your role cannot see clinical information. If you need it now, break the glass on the "
                    "chart and give a reason.")


@dataclass(frozen=True)
class PatientAccess:
    patient: dict
    # The person may read this patient's clinical record (role or break-the-glass).
    clinical: bool
    # Until when a break-the-glass grant lets them (None when the role allows it).
    glass_until: dt.datetime | None

    @property
    def patient_id(self) -> int:
        return self.patient["id"]


async def patient_access(request: Request, patient_id: FromPath[int]) -> PatientAccess:
    try:
        patient = await services.get_patient(patient_id)
    except services.PatientNotFound:
        raise NotFoundException() from None
    opt = request.route_handler.opt
    user = request.scope["user"]
    glass_until = None
    clinical = user.can("clinical.read")
    if not clinical:
        glass_until = await break_glass.active_grant(user.id, patient_id, "clinical.read")
        clinical = glass_until is not None
    actor = actor_of(request)
    if opt.get("patient") == "clinical" and not clinical:
        await record("access.denied", actor, entity_type="patient", entity_id=patient_id, patient_id=patient_id,
                     outcome="denied", detail="clinical.read")
        raise PermissionDeniedException(detail=CLINICAL_REFUSAL)
    if request.method == "GET":
        await record(opt.get("audit_action", "patient.read"), actor, entity_type="patient", entity_id=patient_id, patient_id=patient_id,
                     detail=opt.get("shows", "").format(**request.path_params),
                     outcome="break_glass" if glass_until else "success")
    return PatientAccess(patient=patient, clinical=clinical, glass_until=glass_until)


PATIENT_ACCESS = {"access": Provide(patient_access)}


async def shown_patients(request: Request, patient_ids, shows: str) -> None:
    """A screen that shows several patients (a list page, search results, the
    day's appointments) names every one of them in one read entry; never what
    was typed to find them."""
    ids = sorted(set(patient_ids))
    if ids:
        await record("patient.read", actor_of(request), entity_type="patients", detail=shows, patient_ids=ids,
                     patient_id=ids[0] if len(ids) == 1 else None)
