"""Health, engagement and retention tools; one module per area (imported for registration)."""

from health.tools import engagement, product, retention, scoring  # noqa: F401
