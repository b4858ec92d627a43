"""Screens that combine domains around one patient: the chart page, its
summary and timeline, and the complete-record export (JSON and FHIR)."""
