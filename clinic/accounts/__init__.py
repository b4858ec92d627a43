"""Signing in and out, MFA, and each person's own account."""
