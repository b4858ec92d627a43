from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get

from clinic.scheduling.services import appointments_on
from clinic.web.pages import render


class DashboardController(Controller):
    path = "/"

    @get(name="dashboard:today", opt={"permission": "appointments.read"})
    async def today(self, request: Request) -> Response:
        zone = request.app.state.settings.tz
        today = dt.datetime.now(zone).date()
        visits = await appointments_on(today, zone)
        return render(request, "dashboard/today.html", {"today": today, "visits": visits}, block="visits")
