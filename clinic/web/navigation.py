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
    ("Book", "book:today", "appointments.read"),
    ("Next free", "find:next", "appointments.read"),
    ("Waitlist", "waitlist:list", "appointments.read"),
    ("My day", "scheduling:my_day", "appointments.read"),
    ("Patients", "patients:list", "patients.read"),
    ("Unsigned notes", "visits:unsigned", "clinical.write"),
    ("Billing", "billing:invoices", "billing.write"),
    ("Fees", "billing:fees", "billing.write"),
    ("Claims", "claims:queue", "billing.write"),
    ("Payers", "claims:payers", "billing.write"),
    ("Reports", "reports:dashboard", "reports.read"),
    ("Staff", "staff:list", "staff.manage"),
    ("Clinic", "practice:settings", "practice.manage"),
    ("Note templates", "notes:templates", "notes.templates"),
    ("Audit", "audit:list", "audit.read"),
    ("System", "ops:system", "system.manage"),
    ("Jobs", "ops:jobs", "system.manage"),
    ("Backups", "ops:backups", "system.manage"),
    ("Export", "exports:page", "system.manage"),
]


# Items only some roles need, though others hold the permission: a provider's own day.
ONLY_FOR_ROLES = {"scheduling:my_day": frozenset({"doctor", "nurse"})}


def navigation(user, path: str, url_for: Callable[[str], str | None]) -> list[NavItem]:
    if user is None or user.stage != "active":
        return []
    items = []
    for label, route, permission in ITEMS:
        href = url_for(route)
        if route in ONLY_FOR_ROLES and user.role not in ONLY_FOR_ROLES[route]:
            continue
        if href and user.can(permission):
            current = path == href if href == "/" else path.startswith(href)
            items.append(NavItem(label, href, permission, current))
    return items
