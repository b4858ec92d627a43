"""Clinic: practice management for small independent clinics."""

__version__ = "0.1.0"
