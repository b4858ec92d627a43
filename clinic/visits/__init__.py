"""Visits (encounters): notes in sections, diagnoses, services, sign-off, addenda; note templates; ICD-10-CM."""
