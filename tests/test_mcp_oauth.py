"""MCP clients sign in with OAuth 2.1 the way the official `mcp` client does it: a 401
pointing at the protected-resource metadata, authorization-server metadata, dynamic client
registration, the consent screen (as the signed-in user) with PKCE, the code exchanged for
a token, and tool calls that see the user's book only. API tokens keep working beside it."""

from __future__ import annotations

import asyncio
import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.conf import settings
from django.test import Client
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from audit.models import AuditEvent

pytestmark = [pytest.mark.django_db(transaction=True)]

REDIRECT_URI = "http://127.0.0.1:8765/callback"


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


def _answer(result) -> dict:
    """A tool result's JSON (compact text content; structured content only on request)."""
    return json.loads(result.content[0].text)


def _session_cookie(user) -> str:
    """A signed-in admin session for `user`, as a browser would hold it."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class Browser:
    """The user's browser: opens the authorization URL, sees the consent screen, and
    answers it (Allow or Deny); the redirect it is sent to is what the client's local
    callback would receive."""

    def __init__(self, base_url: str, session: str, *, allow: bool = True) -> None:
        self.base_url = base_url
        self.session = session
        self.allow = allow
        self.consent_page = ""
        self.redirect = ""

    async def open(self, authorization_url: str) -> None:
        cookies = {settings.SESSION_COOKIE_NAME: self.session}
        async with httpx.AsyncClient(cookies=cookies, timeout=30) as http:
            page = await http.get(authorization_url)
            assert page.status_code == 200, page.text[:500]
            self.consent_page = page.text
            fields = dict(
                (unescape(n), unescape(v))
                for n, v in re.findall(
                    r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text
                )
            )
            if self.allow:
                fields["allow"] = "Allow"
            answer = await http.post(
                authorization_url,
                data=fields,
                headers={"Referer": authorization_url},
            )
            assert answer.status_code == 302, answer.text[:500]
            self.redirect = answer.headers["location"]

    async def callback(self) -> tuple[str, str | None]:
        query = parse_qs(urlsplit(self.redirect).query)
        assert "error" not in query, query
        return query["code"][0], query.get("state", [None])[0]


async def _oauth_session(server: str, browser: Browser, storage: MemoryStorage, calls):
    provider = OAuthClientProvider(
        server_url=f"{server}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="Test agent",
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=browser.open,
        callback_handler=browser.callback,
    )
    async with httpx.AsyncClient(auth=provider, timeout=60) as http:
        async with streamable_http_client(f"{server}/mcp", http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return [await session.call_tool(name, args) for name, args in calls]


def test_an_mcp_client_signs_in_with_oauth_and_sees_only_the_users_book(
    live_server, staff, portfolio
):
    csm1 = staff["csm1"]
    csm1.is_staff = True
    csm1.save(update_fields=["is_staff"])
    browser = Browser(live_server.url, _session_cookie(csm1))
    storage = MemoryStorage()
    listed, other, opened = asyncio.run(
        _oauth_session(
            live_server.url,
            browser,
            storage,
            [
                ("list_clients", {}),
                ("get_client_overview", {"account_id": portfolio["other_csm"].pk}),
                (
                    "manage_escalations",
                    {
                        "action": "create",
                        "account_id": portfolio["healthy"].pk,
                        "severity": "low",
                        "summary": "Raised by the agent",
                    },
                ),
            ],
        )
    )
    # The consent screen named the client, each scope and what the token is bound to.
    page = browser.consent_page
    assert "Test agent" in page
    assert "<strong>read</strong>" in page and "<strong>write</strong>" in page
    assert "csm1" in page and "only the 2 accounts in your book" in page
    # Registered dynamically as a public client; the token exchange used PKCE.
    assert storage.client is not None and storage.client.token_endpoint_auth_method == "none"
    assert storage.tokens is not None and set(storage.tokens.scope.split()) == {"read", "write"}
    # The tools answer within csm1's book only.
    assert not listed.isError
    names = sorted(row["name"] for row in _answer(listed)["clients"])
    assert names == sorted([portfolio["healthy"].name, portfolio["declining"].name])
    assert other.isError and _answer(other)["code"] == "not_found"
    # A write through the token is the user's, on the MCP channel, under the client's label.
    assert not opened.isError
    event = AuditEvent.objects.get(action="escalation.opened")
    client_prefix = storage.client.client_id[:8]
    assert (event.actor_id, event.channel) == (csm1.pk, "mcp")
    assert event.actor_label == f"user:csm1 token:oauth-{client_prefix}-{csm1.pk}"
    # So is the token's issue: who, which client, which scopes.
    issued = AuditEvent.objects.get(action="oauth.token_issued")
    assert (issued.actor_id, issued.actor_label) == (csm1.pk, event.actor_label)
    assert issued.changes == {
        "client": client_prefix,
        "scopes": ["read", "write"],
        "grant": "authorization_code",
    }


def test_unauthenticated_mcp_points_at_the_metadata(live_server):
    response = httpx.post(
        f"{live_server.url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Accept": "application/json, text/event-stream"},
    )
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    metadata_url = f"{live_server.url}/.well-known/oauth-protected-resource/mcp"
    assert f'resource_metadata="{metadata_url}"' in challenge
    resource = httpx.get(metadata_url).json()
    assert resource["resource"] == f"{live_server.url}/mcp"
    assert resource["authorization_servers"] == [live_server.url]
    assert resource["scopes_supported"] == ["read", "write"]
    server = httpx.get(f"{live_server.url}/.well-known/oauth-authorization-server").json()
    assert server["issuer"] == live_server.url
    assert server["code_challenge_methods_supported"] == ["S256"]
    assert server["response_types_supported"] == ["code"]
    assert set(server["grant_types_supported"]) == {"authorization_code", "refresh_token"}
    assert server["registration_endpoint"] == f"{live_server.url}/o/register/"
    assert server["authorization_endpoint"] == f"{live_server.url}/o/authorize/"


def test_registration_is_for_sign_in_clients_and_rate_limited(live_server, settings):
    register = f"{live_server.url}/o/register/"
    machine = httpx.post(
        register, json={"grant_types": ["client_credentials"], "client_name": "robot"}
    )
    assert machine.status_code == 400 and machine.json()["error"] == "invalid_client_metadata"
    remote = httpx.post(register, json={"redirect_uris": ["http://evil.example/cb"]})
    assert remote.status_code == 400 and remote.json()["error"] == "invalid_redirect_uri"
    settings.OAUTH_REGISTRATIONS_PER_HOUR = 2
    body = {"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none"}
    statuses = [httpx.post(register, json=body).status_code for _ in range(3)]
    assert statuses[-1] == 429


def test_api_tokens_keep_working_and_a_registration_token_calls_no_tool(
    live_server, staff, portfolio, make_token
):
    token = make_token(staff["csm1"], scopes=["read"])
    headers = {"Authorization": f"Bearer {token}"}

    async def call(headers):
        async with httpx.AsyncClient(headers=headers, timeout=30) as http:
            async with streamable_http_client(f"{live_server.url}/mcp", http_client=http) as (
                read,
                write,
                _,
            ):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await session.call_tool("list_clients", {})

    listed = asyncio.run(call(headers))
    assert len(_answer(listed)["clients"]) == 2
    registered = httpx.post(
        f"{live_server.url}/o/register/",
        json={"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none"},
    ).json()
    refused = httpx.post(
        f"{live_server.url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={
            "Authorization": f"Bearer {registered['registration_access_token']}",
            "Accept": "application/json, text/event-stream",
        },
    )
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
