"""Who is calling: a user with a role, optionally through a scoped API token.

Object scope (which accounts an actor sees) is decided in one place,
`customers.selectors.account_list_for_actor`; core reaches it through
`cs_platform.core.ports`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cs_platform.core.models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from cs_platform.core.models import ApiToken


@dataclass(frozen=True)
class Actor:
    user: AbstractBaseUser
    role: str
    channel: str
    token: ApiToken | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def user_id(self) -> int:
        return self.user.pk

    @property
    def label(self) -> str:
        base = f"user:{self.user.get_username()}"
        return f"{base} token:{self.token.prefix}" if self.token is not None else base

    @property
    def sees_all_accounts(self) -> bool:
        return self.role in (Role.MANAGER, Role.VIEWER) or self.user.is_superuser

    def can_write(self) -> bool:
        if self.role == Role.VIEWER and not self.user.is_superuser:
            return False
        # A token narrows what its user may do; a session login carries the role as is.
        return self.token is None or "write" in self.scopes

    def can_read(self) -> bool:
        return self.token is None or "read" in self.scopes or "write" in self.scopes


def role_of(user: AbstractBaseUser) -> str:
    if user.is_superuser:
        return Role.MANAGER
    profile = getattr(user, "staff_profile", None)
    return profile.role if profile is not None else Role.VIEWER


def actor_for_user(user: AbstractBaseUser, *, channel: str, token: ApiToken | None = None) -> Actor:
    scopes = frozenset(token.scopes) if token is not None else frozenset({"read", "write"})
    return Actor(user=user, role=role_of(user), channel=channel, token=token, scopes=scopes)
