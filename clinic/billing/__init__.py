"""Billing: the fee schedule, invoices and credit notes, payments and credit, the patient ledger,
superbills and statements."""
