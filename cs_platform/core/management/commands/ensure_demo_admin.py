"""Create the demo superuser once and print its login every time (`make run`).

The password is random and kept in a git-ignored file (``.demo-admin-password`` in the
repository root) so each run can print the same login again. Demo-only: production
settings switch the command off.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEFAULT_PASSWORD_FILE = Path(settings.BASE_DIR) / ".demo-admin-password"


@dataclass(frozen=True)
class DemoAdminLogin:
    username: str
    password: str | None  # None: the account exists with a password we no longer know
    action: str  # "created", "unchanged", "reset", "changed-elsewhere"


def _password_file_write(path: Path, password: str) -> None:
    # Written readable by the owner only, then moved into place so a crash never
    # leaves a half-written password behind.
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    tmp.replace(path)


def demo_admin_ensure(*, username: str, password_file: Path) -> DemoAdminLogin:
    """Make sure a superuser ``username`` exists whose password is in ``password_file``.

    - no user: create it with the stored password, or a new random one (stored);
    - user and stored password match: nothing to do;
    - user exists, no stored password: set a new random one (stored), since the login
      could not be printed otherwise;
    - user exists, stored password no longer matches: someone changed it on purpose;
      left alone and reported.
    """
    from cs_platform.core.users import staff_superuser_ensure

    stored = password_file.read_text().strip() if password_file.exists() else ""
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().filter(username=username).first()
        if user is not None and stored:
            if user.check_password(stored):
                return DemoAdminLogin(username, stored, "unchanged")
            return DemoAdminLogin(username, None, "changed-elsewhere")
        password = stored or secrets.token_urlsafe(18)
        # The users' own services: the user, its manager role and the password change are
        # audited as `system:ensure_demo_admin`.
        _user, created = staff_superuser_ensure(
            actor=None, username=username, password=password, system="ensure_demo_admin"
        )
        if password != stored:
            _password_file_write(password_file, password)
    return DemoAdminLogin(username, password, "created" if created else "reset")


class Command(BaseCommand):
    help = (
        "Create the demo superuser (once) with a random password kept in "
        ".demo-admin-password, and print the admin login URL, username and password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password-file", type=Path, default=DEFAULT_PASSWORD_FILE)
        parser.add_argument("--url", default="http://127.0.0.1:8000/admin/")

    def handle(self, *args, **options):
        if not getattr(settings, "DEMO_COMMANDS_ENABLED", False):
            raise CommandError(
                "ensure_demo_admin is a demo command and is disabled by these settings; "
                "create real administrators with `manage.py createsuperuser`."
            )
        login = demo_admin_ensure(
            username=options["username"], password_file=options["password_file"]
        )
        if login.password is None:
            # Not an error: someone chose a new password; `make run` still serves.
            self.stderr.write(
                f"User {login.username!r} exists but its password is no longer the one in "
                f"{options['password_file']}: log in with the password you set, run "
                f"`manage.py changepassword {login.username}`, or delete that file to have "
                "a new one generated."
            )
            return
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"  Admin login ({login.action}): {options['url']}",
                    f"    username: {login.username}",
                    f"    password: {login.password}",
                    f"  (the password is kept in {options['password_file']})",
                    "",
                ]
            )
        )
