"""Reminders and feeds: the outbox of appointment reminders, the patient's signed
confirm/cancel links, and each provider's private calendar feed."""
