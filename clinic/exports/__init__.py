"""The whole clinic's data as a ZIP of CSV files with a manifest, for accountants and for leaving the system."""
