"""Documents attached to a patient: checked by content, stored encrypted outside the web root."""
