"""Prescriptions: drafted by a nurse or doctor, checked for safety, signed by a prescriber, printed."""
