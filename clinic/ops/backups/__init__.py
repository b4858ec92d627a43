"""Backups: one encrypted, checksummed file holding every table; restore and verify."""
