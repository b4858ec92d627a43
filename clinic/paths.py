"""Where the project's non-Python parts live.

templates/, static/ and piccolo_migrations/ sit beside the clinic package in
the source tree (the layout of the project). The app runs from the source tree
with an editable install (``make run``, Railway), so the package's parent is
the project root; CLINIC_ROOT overrides it for unusual installs.
"""

import os
from pathlib import Path


def _project_root() -> Path:
    if os.environ.get("CLINIC_ROOT"):
        return Path(os.environ["CLINIC_ROOT"]).resolve()
    beside_package = Path(__file__).resolve().parent.parent
    if (beside_package / "templates").is_dir():
        return beside_package
    return Path.cwd()


PROJECT_ROOT = _project_root()
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
