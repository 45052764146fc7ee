"""Point one connection per provider at a running sandbox provider server.

`make run` calls this after starting `sandbox_providers`, so the embedded demo can sync
Zendesk, Intercom, Mixpanel and SendGrid, send e-mail and receive signed webhooks without
any real account. Credentials and the SendGrid webhook verification key are read from the
running sandbox (``/_sandbox/info``), so they are the ones it accepts and signs with.
Re-running it updates the same four connections (a new port, say) instead of adding more.
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction

from cs_platform.core.actors import actor_for_user
from cs_platform.core.errors import DomainError
from cs_platform.core.management.demo import DemoCommand
from customers.demo_identity import DEMO_EMAIL_DOMAIN
from integrations.models import Connection, Provider
from integrations.sandbox.config import SandboxCredentials
from integrations.sandbox.control import SandboxControl
from integrations.services.connections import connection_create, connection_update


class Command(DemoCommand):
    refusal_hint = "Create real provider connections in the admin."
    help = (
        "Create or update one connection per provider (named 'Sandbox <provider>') that "
        "talks to the sandbox provider server at --url, with the credentials it accepts; "
        "the SendGrid one also gets the webhook verification key and a sender address. "
        "Audited as --user."
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
        parser.add_argument(
            "--from-email",
            default=f"success@{DEMO_EMAIL_DOMAIN}",
            help="sender address of e-mail sent through the SendGrid connection",
        )
        parser.add_argument("--from-name", default="Customer Success", help="sender name")

    def handle(self, *args, **options):
        if not options["url"]:
            raise CommandError("--url: required (or set SANDBOX_PROVIDERS_URL)")
        if "@" not in options["from_email"]:
            raise CommandError("--from-email: must be an e-mail address")
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
        # Asked before the transaction: no network call while it is open.
        try:
            info = SandboxControl(root).info()
        except (requests.RequestException, ValueError) as exc:
            raise CommandError(
                f"--url: no sandbox answers at {root}/_sandbox/info ({type(exc).__name__}); "
                "start one with `manage.py sandbox_providers`"
            ) from exc
        creds = SandboxCredentials(**info["credentials"])
        sendgrid_settings = {"from_email": options["from_email"], "from_name": options["from_name"]}
        try:
            with transaction.atomic():
                for provider in Provider.values:
                    credentials = creds.connection_credentials(provider)
                    extra: dict[str, Any] = {}
                    if provider == Provider.SENDGRID:
                        credentials["webhook_public_key"] = info["sendgrid_public_key"]
                        extra["settings"] = sendgrid_settings
                    self._ensure(actor, provider, f"{root}/{provider}", credentials, extra)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.details or ''}") from exc

    def _ensure(
        self, actor, provider: str, url: str, credentials: dict[str, str], extra: dict[str, Any]
    ) -> None:
        name = f"Sandbox {Provider(provider).label}"
        existing = Connection.objects.filter(provider=provider, name=name).first()
        if existing is None:
            connection = connection_create(
                actor=actor, provider=provider, name=name, base_url=url,
                credentials=credentials, **extra,
            )  # fmt: skip
            verb = "created"
        else:
            connection = connection_update(
                actor=actor, connection_id=existing.pk, base_url=url, credentials=credentials,
                enabled=True, **extra,
            )  # fmt: skip
            verb = "updated"
        self.stdout.write(f"{verb} connection {connection.pk}: {name} → {url}")
