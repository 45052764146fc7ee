"""`manage.py create_api_token --user USERNAME --scopes read,write [--expires-days N]`.

Prints the secret once: only its SHA-256 is stored, so it can never be shown again.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cs_platform.core.errors import DomainError
from cs_platform.core.tokens import VALID_SCOPES, api_token_create


class Command(BaseCommand):
    help = "Issue an API token (Authorization: Bearer <token>) for REST and MCP."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="Username the token acts as.")
        parser.add_argument(
            "--scopes",
            required=True,
            help=f"Comma-separated scopes from: {', '.join(sorted(VALID_SCOPES))}.",
        )
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Days until it expires (default never)."
        )
        parser.add_argument("--name", default="cli", help="A label to recognise the token by.")
        parser.add_argument(
            "--agent", action="store_true", help="Issued to an AI agent (limited to its scopes)."
        )

    def handle(self, *args, **options):
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        name = options["name"].strip()
        if not name or len(name) > 100:
            raise CommandError("--name must be 1 to 100 characters")
        try:
            token, secret = api_token_create(
                username=options["user"],
                scopes=scopes,
                name=name,
                expires_days=options["expires_days"],
                is_agent=options["agent"],
            )
        except DomainError as exc:
            reasons = [
                f"{e.get('field')}: {e.get('message')}" for e in exc.details.get("errors", [])
            ]
            raise CommandError("; ".join(reasons) or exc.message) from exc
        expires = token.expires_at.isoformat() if token.expires_at else "never"
        self.stdout.write(secret)
        self.stderr.write(
            f"Token {token.prefix} for {token.user.get_username()} "
            f"(scopes: {','.join(token.scopes)}; expires: {expires}"
            f"{'; agent' if token.is_agent else ''}).\n"
            "Store it now: it cannot be shown again (only its hash is kept)."
        )
