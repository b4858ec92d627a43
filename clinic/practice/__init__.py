"""The clinic's own settings: its name and address, time zone and currency,
opening hours and closures, defaults for the book. Stored in the database and
edited by an administrator; the environment gives only the first-run values."""
