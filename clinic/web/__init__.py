"""What every screen shares: page rendering, errors, headers, request logs."""
