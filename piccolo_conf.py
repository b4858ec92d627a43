"""For Piccolo's own tools (``piccolo migrations check``, the playground).

The app itself builds its engine from settings in clinic/app.py; this file
only makes the same database visible to Piccolo's command line.
"""

from piccolo.conf.apps import AppRegistry

from clinic.piccolo_app import create_engine
from clinic.settings import load_settings

DB = create_engine(load_settings())

APP_REGISTRY = AppRegistry(apps=["clinic.piccolo_app"])
