"""Give the demo personas sign-in passwords and print them (`make run`; demo-only)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from cs_platform.core.management.demo import DemoCommand
from cs_platform.core.models import Role
from portfolio.seed.logins import demo_logins_ensure

DEFAULT_PASSWORD_FILE = Path(settings.BASE_DIR) / ".demo-passwords"


class Command(DemoCommand):
    refusal_hint = "Give real staff their own accounts (`manage.py createsuperuser`, the admin)."
    help = (
        "Give each demo persona (manager, csm1..csmK, viewer: created by seed_demo) a random "
        "password, generated once and kept in .demo-passwords, and print the sign-ins."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password-file", type=Path, default=DEFAULT_PASSWORD_FILE)
        parser.add_argument("--url", default="http://127.0.0.1:8000/admin/")

    def handle(self, *args, **options):
        logins = demo_logins_ensure(password_file=options["password_file"])
        if not logins:
            self.stdout.write("No demo personas yet: `manage.py seed_demo` creates them.")
            return
        width = max(len(login.username) for login in logins)
        lines = ["", f"  Demo personas, same sign-in page ({options['url']}):"]
        for login in logins:
            password = login.password or "(changed by someone; not in the file)"
            lines.append(f"    {login.username:<{width}}  {password:<16}  {Role(login.role).label}")
        lines += [f"  (their passwords are kept in {options['password_file']})", ""]
        self.stdout.write("\n".join(lines))
