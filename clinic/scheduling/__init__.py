"""Scheduling: the appointment book.

- ``tables``: types, rooms, working hours, time off, appointments, series, their history, the waitlist.
- ``rules``: pure rules (spans, free slots, statuses, late cancels, recurrence in the clinic's zone).
- ``conflicts``: what a time collides with, read in bulk and judged without the database.
- ``booking``: book, move, set_status, cancel, under the provider → patient → room row locks.
- ``series``: recurring series, all or nothing; one / following / all changes.
- ``availability``: next free slots up to a year ahead; bookable time per provider and day.
- ``waitlist``: entries, suggestions on cancel, settled on booking.
- ``services``: the book's read queries, and every entry point above under one name.
"""
