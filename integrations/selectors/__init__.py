"""Reads over tickets, connections, sync runs and e-mail. One module per concern."""
