"""Reports: the dashboard and read-only aggregates over every domain (counts and sums in SQL, never who)."""
