"""Staff users, their CS role and groups: the services behind the user admin and the
demo-admin command. Passwords are set here (hashed by Django) and never audited; the
event says that the password changed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from cs_platform.core.actors import Actor
from cs_platform.core.models import Role, StaffProfile
from cs_platform.core.records import (
    RecordSpec,
    WriteServices,
    audit_write,
    record_create,
    record_update,
)
from cs_platform.core.services import model_update

User = get_user_model()

# Names and e-mail are personal data: the audit trail names the fields, not the values.
USER_RECORD = RecordSpec(User, "user", personal=frozenset({"first_name", "last_name", "email"}))
GROUP_RECORD = RecordSpec(Group, "group")
STAFF_PROFILE_RECORD = RecordSpec(StaffProfile, "staff_profile")

USER_WRITES = USER_RECORD.writes()
GROUP_WRITES = GROUP_RECORD.writes()
STAFF_PROFILE_WRITES = STAFF_PROFILE_RECORD.writes()


def user_password_set(
    *, actor: Actor | None, user: Any, password: str | None, system: str = "system"
) -> None:
    """Set a user's password (None: no usable password, sign-in by password disabled)."""
    with transaction.atomic():
        # make_password(None) is Django's unusable password.
        model_update(user, {"password": make_password(password)}, validate=False)
        audit_write(
            actor,
            "user.password_set",
            user,
            changes={"usable": password is not None},
            system=system,
        )


def staff_role_set(*, actor: Actor | None, user: Any, role: str, system: str = "system") -> None:
    """Give `user` the CS role `role` (manager, csm or viewer)."""
    profile = StaffProfile.objects.filter(user=user).first()
    if profile is None:
        fields = {"user": user, "role": role}
        record_create(STAFF_PROFILE_RECORD, actor=actor, fields=fields, system=system)
    else:
        changes = {"role": role}
        record_update(
            STAFF_PROFILE_RECORD, actor=actor, instance=profile, changes=changes, system=system
        )


def staff_superuser_ensure(
    *, actor: Actor | None, username: str, password: str, system: str
) -> tuple[Any, bool]:
    """A superuser `username` with `password` and the manager role: created, or an
    existing user made an active superuser and given the password. Returns (user,
    created)."""
    flags = {"is_active": True, "is_staff": True, "is_superuser": True}
    with transaction.atomic():
        user = User._default_manager.select_for_update().filter(username=username).first()
        if user is None:
            fields = {"username": username, "password": make_password(password), **flags}
            user = record_create(USER_RECORD, actor=actor, fields=fields, system=system)
            created = True
        else:
            record_update(USER_RECORD, actor=actor, instance=user, changes=flags, system=system)
            user_password_set(actor=actor, user=user, password=password, system=system)
            created = False
        staff_role_set(actor=actor, user=user, role=Role.MANAGER, system=system)
    return user, created


__all__ = [
    "GROUP_WRITES",
    "STAFF_PROFILE_WRITES",
    "USER_WRITES",
    "WriteServices",
    "staff_role_set",
    "staff_superuser_ensure",
    "user_password_set",
]
