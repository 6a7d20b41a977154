"""Door check-in for events: scanner, search, walk-ins, live counters."""
