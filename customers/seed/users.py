"""The demo staff: a manager, CSMs csm1..csmK and a viewer, with roles and no passwords.

Users are upserted by username, never deleted: audit events, API tokens and the admin
login (created elsewhere) may point at them. A new user gets an unusable password.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from cs_platform.core.models import Role, StaffProfile

FIRST = ("Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Imani", "Jonas")
LAST = ("Okafor", "Lindqvist", "Moreau", "Patel", "Rossi", "Tanaka", "Nguyen", "Schmidt")
DEMO_EMAIL_DOMAIN = "cs-platform.demo"


@dataclass(frozen=True)
class DemoStaff:
    manager_id: int
    viewer_id: int
    csm_ids: tuple[int, ...]  # csm1 first: index i owns profiles with owner_index i


def _staff_user_ensure(username: str, role: str, first: str, last: str) -> int:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@{DEMO_EMAIL_DOMAIN}",
            "is_staff": True,
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    StaffProfile.objects.update_or_create(user=user, defaults={"role": role})
    return user.pk


def demo_staff_ensure(*, csm_count: int) -> DemoStaff:
    manager = _staff_user_ensure("manager", Role.MANAGER, "Morgan", "Hale")
    viewer = _staff_user_ensure("viewer", Role.VIEWER, "Vic", "Reader")
    csms = tuple(
        _staff_user_ensure(
            f"csm{i}", Role.CSM, FIRST[(i - 1) % len(FIRST)], LAST[(i * 3) % len(LAST)]
        )
        for i in range(1, csm_count + 1)
    )
    return DemoStaff(manager_id=manager, viewer_id=viewer, csm_ids=csms)
