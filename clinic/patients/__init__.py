"""Patients: registration, search, the chart and its medical history."""
