"""Insurance claims: payers and eligibility checks, claims from invoices, 837P batches, 835 remittances."""
