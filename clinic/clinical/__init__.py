"""Medical history: allergies, medications, problems, history, immunisations, vitals."""
