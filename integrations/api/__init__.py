"""REST adapters for support tickets (read only: tickets are written by syncs and tools)."""
