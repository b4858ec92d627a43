"""The main navigation, filtered by what the signed-in person may do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    permission: str
    current: bool = False


ITEMS = [
    ("Today", "/", "appointments.read"),
    ("Patients", "/patients", "patients.read"),
    ("Staff", "/admin/staff", "staff.manage"),
    ("Audit", "/admin/audit", "audit.read"),
    ("System", "/admin/jobs", "system.manage"),
]


def navigation(user, path: str) -> list[NavItem]:
    if user is None or user.stage != "active":
        return []
    items = []
    for label, href, permission in ITEMS:
        if user.can(permission):
            current = path == href if href == "/" else path.startswith(href)
            items.append(NavItem(label, href, permission, current))
    return items
