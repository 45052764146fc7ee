"""Reads over usage, health snapshots and survey answers. One module per concern."""
