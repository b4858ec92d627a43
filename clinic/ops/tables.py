"""Where each alert stands, shared by every instance (clinic/ops/alerts.py)."""

from piccolo.columns import Boolean, Integer, Timestamptz, Varchar
from piccolo.table import Table


class AlertState(Table, tablename="alert_state"):
    """One row per alert rule: firing or not, since when its condition has held, and how many incidents so far.

    Instances evaluate the rules against this row under a lock, so one
    incident sends one alert and one recovery however many instances run.
    ``reading`` is a measurement ("p95 2.4 s"), never PHI.
    """

    name = Varchar(length=40, unique=True)
    firing = Boolean(default=False)
    bad_since = Timestamptz(null=True, default=None)
    incident = Integer(default=0)
    changed_at = Timestamptz(null=True, default=None)
    reading = Varchar(length=120, default="")
