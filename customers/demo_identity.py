"""Deterministic identities of demo accounts, shared by `seed_demo` and the sandbox providers.

Account number ``n`` (1-based) always has the same name, e-mail domain and provider
external ids, so the sandbox's Zendesk organizations, Intercom contacts and Mixpanel
events map onto the seeded portfolio by external id or e-mail domain, as real data would.
"""

from __future__ import annotations

from dataclasses import dataclass

# The demo staff's e-mail domain (seed_demo's users; connect_sandbox's default sender).
DEMO_EMAIL_DOMAIN = "cs-platform.demo"

_PREFIXES = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Pied",
    "Massive",
    "Oscorp",
    "Aperture",
    "Black Mesa",
    "Gringotts",
    "Monarch",
    "Nakatomi",
    "Virtucon",
    "Zorg",
    "Duff",
    "Prestige",
    "Sterling",
    "Bluth",
    "Dunder",
    "Krusty",
    "Paper Street",
    "Blue Sun",
    "Rekall",
    "Ollivander",
)
_SUFFIXES = (
    "Analytics",
    "Logistics",
    "Health",
    "Foods",
    "Systems",
    "Robotics",
    "Capital",
    "Media",
    "Energy",
    "Labs",
    "Retail",
    "Bank",
    "Studios",
    "Networks",
    "Biotech",
    "Software",
    "Manufacturing",
    "Travel",
    "Insurance",
    "Telecom",
    "Education",
    "Security",
    "Mobility",
)


@dataclass(frozen=True)
class DemoCompany:
    number: int
    name: str
    domain: str
    zendesk_org_id: str
    intercom_company_id: str
    mixpanel_group_id: str


def demo_company(number: int) -> DemoCompany:
    if number < 1:
        raise ValueError("demo account numbers start at 1")
    prefix = _PREFIXES[(number * 7) % len(_PREFIXES)]
    suffix = _SUFFIXES[(number * 11) % len(_SUFFIXES)]
    name = f"{prefix} {suffix} {number:05d}"
    slug = f"{prefix}-{suffix}".lower().replace(" ", "-")
    return DemoCompany(
        number=number,
        name=name,
        domain=f"{slug}-{number:05d}.demo",
        zendesk_org_id=str(360000000000 + number),
        intercom_company_id=f"ic_{number:06d}",
        mixpanel_group_id=f"acct-{number:05d}",
    )


def demo_contact_email(number: int, contact_index: int) -> str:
    """E-mail of the ``contact_index``-th (0-based) contact of demo account ``number``."""
    first = ("alex", "sam", "jordan", "taylor", "morgan", "casey", "riley", "jamie")
    local = f"{first[(number + contact_index) % len(first)]}.{contact_index}"
    return f"{local}@{demo_company(number).domain}"
