"""Imports run one way: db -> core -> web, security, audit -> domains -> screens -> app.

Like the route walk for permissions, this walks every import in clinic/
(function-level ones too) and fails on a step against the direction, so the
next domain cannot tangle itself into the others. Within the domain layer a
module may use a sibling's services, never its controllers, and reads a
sibling's tables only from a ``tables`` module (foreign keys) or a
``queries`` module (read-only joins).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CLINIC = Path(__file__).resolve().parent.parent / "clinic"

LAYERS: dict[str, int] = {
    "paths": 0, "db": 0,
    "core": 1, "settings": 1,
    "web": 2, "security": 2, "audit": 2,
    "practice": 3, "staff": 3, "accounts": 3, "patients": 3, "scheduling": 3, "clinical": 3, "billing": 3,
    "reminders": 3,
    "visits": 3,
    "prescriptions": 3, "documents": 3,
    "claims": 3,
    "records": 4, "admin": 4, "dashboard": 4,
    "access_report": 4, "exports": 4,
    "ops": 5, "reports": 5,
    "app": 6, "cli": 6, "piccolo_app": 6, "__main__": 6, "__init__": 6,
}
DOMAIN = 3


def package_of(module: str) -> str:
    """clinic.patients.services -> patients; clinic.app -> app."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    relative = path.relative_to(CLINIC.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("clinic")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("clinic") and node.level == 0:
            # `from clinic.x import y` may import the module clinic.x.y
            for alias in node.names:
                found.append((node.lineno, f"{node.module}.{alias.name}"))
    return found


def problems_in(path: Path) -> list[str]:
    importer = module_name(path)
    importer_package = package_of(importer)
    importer_layer = LAYERS.get(importer_package)
    if importer_layer is None:
        return [f"{importer}: package {importer_package!r} has no layer in tests/test_layering.py"]
    leaf = importer.rsplit(".", 1)[-1]
    found = []
    for line, target in imports_of(path):
        package = package_of(target)
        if package == importer_package:
            continue
        layer = LAYERS.get(package)
        if layer is None:
            continue  # clinic.__version__ and the like
        where = f"{path.relative_to(CLINIC.parent)}:{line} imports {target}"
        if layer > importer_layer:
            found.append(f"{where}: layer {importer_package} ({importer_layer}) must not import "
                         f"{package} ({layer})")
        elif layer == DOMAIN and importer_layer == DOMAIN:
            parts = target.split(".")
            if any("controllers" in part for part in parts[2:]):
                found.append(f"{where}: a domain never imports a sibling's controllers (call its services)")
            elif len(parts) > 2 and parts[2] == "tables" and leaf not in ("tables", "queries"):
                found.append(f"{where}: a sibling's tables are read only from queries.py (and tables.py for "
                             f"foreign keys); call its services to change them")
        elif layer == importer_layer and layer > DOMAIN and any("controllers" in p for p in target.split(".")[2:]):
            found.append(f"{where}: screens do not import each other's controllers")
    return found


def test_every_package_has_a_layer():
    packages = {path.parent.name if path.name == "__init__.py" or path.parent != CLINIC else path.stem
                for path in CLINIC.rglob("*.py")}
    packages = {name for name in packages if name != "clinic"}
    missing = {name for name in packages if name not in LAYERS and (CLINIC / name).is_dir()}
    assert not missing, f"give these packages a layer in tests/test_layering.py: {sorted(missing)}"


@pytest.mark.parametrize("path", sorted(CLINIC.rglob("*.py")), ids=lambda p: str(p.relative_to(CLINIC)))
def test_imports_follow_the_layers(path):
    problems = problems_in(path)
    assert not problems, "\n".join(problems)


def test_the_walk_catches_a_step_against_the_direction(tmp_path, monkeypatch):
    """The rule itself: a domain importing a screen, and a domain importing a sibling's controllers."""
    fake = CLINIC / "patients" / "_layering_probe.py"
    fake.write_text("from clinic.records.chart_controllers import ChartController\n"
                    "from clinic.clinical.controllers import ClinicalController\n"
                    "from clinic.scheduling.tables import Appointment\n")
    try:
        problems = problems_in(fake)
    finally:
        fake.unlink()
    assert len(problems) == 3, problems
