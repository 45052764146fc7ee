"""Serve the MCP tools over stdio for desktop MCP clients.

The caller is identified by an API token (`--token` or the CS_PLATFORM_TOKEN
environment variable), exactly as over HTTP, so scopes and the CSM's book still apply.
"""

import os

from django.core.management.base import BaseCommand, CommandError
from mcp_server.djangomcp import global_mcp_server

from cs_platform.core.actors import actor_for_user
from cs_platform.core.tokens import api_token_authenticate
from mcp_bridge.server import stdio_actor


class Command(BaseCommand):
    help = "Run the MCP server over stdio, authenticated by an API token."

    def add_arguments(self, parser):
        parser.add_argument("--token", default=os.environ.get("CS_PLATFORM_TOKEN", ""))

    def handle(self, *args, **options):
        token = api_token_authenticate(options["token"] or "")
        if token is None:
            raise CommandError(
                "A valid API token is required: pass --token or set CS_PLATFORM_TOKEN "
                "(create one with `manage.py create_api_token`)."
            )
        stdio_actor.set(actor_for_user(token.user, channel="mcp", token=token))
        global_mcp_server.run(transport="stdio")
