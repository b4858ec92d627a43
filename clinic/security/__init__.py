"""Safeguards: permissions, passwords, MFA, sessions, field encryption."""
