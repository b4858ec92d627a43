"""Print a new encryption key setting: ``python -m clinic.security.newkey [key-id]``."""

import datetime as dt
import sys

from clinic.core.crypto import new_key_setting

key_id = sys.argv[1] if len(sys.argv) > 1 else dt.date.today().strftime("k%Y%m%d")
print(new_key_setting(key_id))
