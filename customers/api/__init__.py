"""REST adapters for accounts, contacts and contracts (`/api/v1/`)."""
