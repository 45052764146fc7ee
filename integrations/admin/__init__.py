"""Integrations admin, split by concern; importing the package registers every admin.

`EncryptionCanary` is deliberately not registered: it is the key check behind /readyz,
and a page showing it would only show the canary plaintext.
"""

from integrations.admin import connections, email, outbox, support, support_desk, usage

__all__ = ["connections", "email", "outbox", "support", "support_desk", "usage"]
