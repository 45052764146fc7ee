"""Health admin, split by concern; importing the package registers every admin."""

from health.admin import monitors, segments, snapshots, usage, voice

__all__ = ["monitors", "segments", "snapshots", "usage", "voice"]
