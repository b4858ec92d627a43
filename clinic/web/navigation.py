"""The main navigation, filtered by what the signed-in person may do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    permission: str
    current: bool = False


# (label, route name, permission); an item shows when its route exists.
ITEMS = [
    ("Today", "dashboard:today", "appointments.read"),
    ("Patients", "patients:list", "patients.read"),
    ("Unsigned notes", "visits:unsigned", "clinical.write"),
    ("Billing", "billing:invoices", "billing.write"),
    ("Fees", "billing:fees", "billing.write"),
    ("Claims", "claims:queue", "billing.write"),
    ("Payers", "claims:payers", "billing.write"),
    ("Staff", "staff:list", "staff.manage"),
    ("Clinic", "practice:settings", "practice.manage"),
    ("Note templates", "notes:templates", "notes.templates"),
    ("Audit", "audit:list", "audit.read"),
    ("System", "ops:jobs", "system.manage"),
]


def navigation(user, path: str, url_for: Callable[[str], str | None]) -> list[NavItem]:
    if user is None or user.stage != "active":
        return []
    items = []
    for label, route, permission in ITEMS:
        href = url_for(route)
        if href and user.can(permission):
            current = path == href if href == "/" else path.startswith(href)
            items.append(NavItem(label, href, permission, current))
    return items
