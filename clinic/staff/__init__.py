"""Staff accounts: who works at the clinic and what their role lets them do."""
