"""Scheduling: appointments between patients and clinicians."""
