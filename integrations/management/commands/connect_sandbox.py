"""Point one connection per provider at a running sandbox provider server.

`make run` calls this after starting `sandbox_providers`, so the embedded demo can sync
Zendesk, Intercom, Mixpanel and SendGrid without any real account. Re-running it updates
the same four connections (a new port, say) instead of adding more.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cs_platform.core.actors import actor_for_user
from cs_platform.core.errors import DomainError
from integrations.models import Connection, Provider
from integrations.sandbox.config import SandboxCredentials
from integrations.services.connections import connection_create, connection_update


class Command(BaseCommand):
    help = (
        "Create or update one connection per provider (named 'Sandbox <provider>') that "
        "talks to the sandbox provider server at --url. Audited as --user."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url",
            default=settings.SANDBOX_PROVIDERS_URL or None,
            help="e.g. http://127.0.0.1:8765 (default: SANDBOX_PROVIDERS_URL)",
        )
        parser.add_argument(
            "--user", default=None, help="who the audit trail names (default: a superuser)"
        )

    def handle(self, *args, **options):
        if not options["url"]:
            raise CommandError("--url: required (or set SANDBOX_PROVIDERS_URL)")
        users = get_user_model().objects
        if options["user"]:
            user = users.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"--user: no user named {options['user']!r}")
        else:
            user = users.filter(is_superuser=True).order_by("pk").first()
            if user is None:
                raise CommandError("--user: no superuser exists; create one or pass --user")
        actor = actor_for_user(user, channel="command")
        root = options["url"].rstrip("/")
        creds = SandboxCredentials()
        try:
            with transaction.atomic():
                for provider in Provider.values:
                    self._ensure(actor, provider, f"{root}/{provider}", creds)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.details or ''}") from exc

    def _ensure(self, actor, provider: str, url: str, creds: SandboxCredentials) -> None:
        name = f"Sandbox {Provider(provider).label}"
        existing = Connection.objects.filter(provider=provider, name=name).first()
        credentials = creds.connection_credentials(provider)
        if existing is None:
            connection = connection_create(
                actor=actor, provider=provider, name=name, base_url=url, credentials=credentials
            )
            verb = "created"
        else:
            connection = connection_update(
                actor=actor, connection_id=existing.pk, base_url=url, credentials=credentials,
                enabled=True,
            )  # fmt: skip
            verb = "updated"
        self.stdout.write(f"{verb} connection {connection.pk}: {name} → {url}")
