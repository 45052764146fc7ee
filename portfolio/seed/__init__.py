"""Deterministic demo portfolio (``manage.py seed_demo``): generation and bulk loading.

Entry points: ``seed_demo_run`` (the service) and ``seed_content_hash`` (what the
determinism test compares). Generators live one per concern: profiles, lifecycle,
commercial, usage, adoption, support, voice, onboarding, timeline; ``loader`` writes.
"""

from portfolio.seed.digest import seed_content_hash
from portfolio.seed.profiles import Archetype, archetype_of
from portfolio.seed.run import SeedSummary, seed_demo_run

__all__ = ["Archetype", "SeedSummary", "archetype_of", "seed_content_hash", "seed_demo_run"]
