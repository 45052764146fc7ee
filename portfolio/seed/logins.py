"""Sign-in passwords for the demo personas (manager, csm1..csmK, viewer), for `make run`.

The seed creates the personas without usable passwords. Here each one gets a random
password, generated once and kept, with the others, in a git-ignored file readable by
its owner only (``.demo-passwords``: one ``username password`` line each), so every run
prints the same sign-ins. Nothing is hard-coded, and production settings refuse the
command that calls this (it is demo-only).
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from cs_platform.core.records import record_update
from cs_platform.core.users import USER_RECORD, user_password_set
from portfolio.seed.users import CSM_USERNAME_PATTERN, MANAGER_USERNAME, VIEWER_USERNAME

SYSTEM = "ensure_demo_logins"
_HEADER = "# Demo sign-ins (username password), written by `manage.py ensure_demo_logins`.\n"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str | None  # None: someone changed it on purpose; we no longer know it
    action: str  # "set", "unchanged", "changed-elsewhere"


def _stored(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split() for line in path.read_text().splitlines() if not line.startswith("#"))
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}


def _store(path: Path, passwords: dict[str, str]) -> None:
    # Owner-only, then moved into place: a crash never leaves half a file behind.
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(_HEADER + "".join(f"{u} {p}\n" for u, p in passwords.items()))
    tmp.replace(path)


def _persona_order(username: str) -> tuple[int, int]:
    if username == MANAGER_USERNAME:
        return (0, 0)
    if username == VIEWER_USERNAME:
        return (2, 0)
    return (1, int(re.sub(r"\D", "", username) or 0))


def demo_logins_ensure(*, password_file: Path) -> list[DemoLogin]:
    """Give every demo persona the password kept for it in ``password_file`` (a new random
    one when none is kept), unless it already has a different usable password, which
    someone chose: that one is left alone and reported."""
    stored = _stored(password_file)
    kept = dict(stored)
    logins: list[DemoLogin] = []
    personas = Q(username__in=[MANAGER_USERNAME, VIEWER_USERNAME]) | Q(
        username__regex=CSM_USERNAME_PATTERN
    )
    with transaction.atomic():
        users = (
            get_user_model()
            .objects.select_for_update()
            .filter(personas, is_staff=True, staff_profile__isnull=False)
            .select_related("staff_profile")
        )
        for user in sorted(users, key=lambda u: _persona_order(u.username)):
            role = user.staff_profile.role
            password = stored.get(user.username)
            if password and user.check_password(password):
                logins.append(DemoLogin(user.username, role, password, "unchanged"))
                continue
            if password and user.has_usable_password():
                logins.append(DemoLogin(user.username, role, None, "changed-elsewhere"))
                continue
            password = password or secrets.token_urlsafe(12)
            # The users' own services, audited as `system:ensure_demo_logins`.
            user_password_set(actor=None, user=user, password=password, system=SYSTEM)
            changes = {"is_active": True}
            record_update(USER_RECORD, actor=None, instance=user, changes=changes, system=SYSTEM)
            kept[user.username] = password
            logins.append(DemoLogin(user.username, role, password, "set"))
        if kept != stored:
            _store(password_file, kept)
    return logins
