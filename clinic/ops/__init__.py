"""Running the clinic: health, readiness, demo data, backups."""
