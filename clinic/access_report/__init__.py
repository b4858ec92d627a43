"""The patient's access report: who looked at or changed their record, and when, from the audit trail."""
