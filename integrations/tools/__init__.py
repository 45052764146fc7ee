"""Integration tools: syncs, support tickets, e-mail (imported for registration)."""

from integrations.tools import communication, support, syncs  # noqa: F401
