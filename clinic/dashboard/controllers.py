"""Today: the day's appointments for everyone on the staff."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from clinic.billing.invoices import open_totals
from clinic.claims.payers import arrival_flags
from clinic.patients.access import shown_patients
from clinic.scheduling.services import appointments_on
from clinic.web.context import locale_of
from clinic.web.pages import render


class DashboardController(Controller):
    path = "/"

    @get(name="dashboard:today", opt={"permission": "appointments.read"})
    async def today(self, request: Request) -> Response:
        locale = locale_of(request)
        today = locale.today()
        visits = await appointments_on(today, locale)
        await shown_patients(request, [visit.patient_id for visit in visits], "today")
        billing = await open_totals() if request.scope["user"].can("billing.write") else None
        # Whoever checks patients in sees whose insurance needs checking before the visit is billed.
        eligibility = (await arrival_flags([visit.patient_id for visit in visits if visit.status != "cancelled"], today)
                       if request.scope["user"].can("insurance.read") else {})
        return render(request, "dashboard/today.html", {"today": today, "visits": visits, "billing": billing,
                                                        "eligibility": eligibility},
                      block="visits")
