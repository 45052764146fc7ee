"""Health admin, split by concern; importing the package registers every admin."""

from health.admin import campaigns, monitors, segments, snapshots, usage, voice

__all__ = ["campaigns", "monitors", "segments", "snapshots", "usage", "voice"]
