"""The base of demo-only management commands: refused where ``DEMO_COMMANDS_ENABLED`` is off.

Production settings switch it off, so a command that invents data, wipes tables, serves
fake providers or hands out generated passwords cannot run against a real deployment,
whoever types it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class DemoCommand(BaseCommand):
    # Said after the refusal: what the command would have done, and what to use instead.
    refusal_hint = ""

    def execute(self, *args: Any, **options: Any) -> Any:
        # Before system checks, the database or any argument is looked at.
        if not getattr(settings, "DEMO_COMMANDS_ENABLED", False):
            name = self.__module__.rsplit(".", 1)[-1]
            raise CommandError(
                f"{name} is a demo-only command and these settings disable it "
                f"(DEMO_COMMANDS_ENABLED is off, as in cs_platform.settings.production)."
                + (f" {self.refusal_hint}" if self.refusal_hint else "")
            )
        return super().execute(*args, **options)
