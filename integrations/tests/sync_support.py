"""Helpers for the sync tests: demo accounts matching the sandbox, connections to it."""

from __future__ import annotations

from typing import Any

import requests

from customers.demo_identity import demo_company, demo_contact_email
from customers.models import Account, Contact
from integrations.models import Connection

T = (3.05, 30)


def seed_accounts(
    numbers: range | list[int],
    *,
    external_ids: bool = True,
    first_contact: bool = True,
) -> dict[int, Account]:
    """Demo accounts 1..N as ``seed_demo`` makes them: the sandbox's organizations,
    companies and events map onto them. Without ``external_ids`` only the domain links."""
    accounts = {}
    for n in numbers:
        company = demo_company(n)
        accounts[n] = Account.objects.create(
            name=company.name,
            domain=company.domain,
            zendesk_org_id=company.zendesk_org_id if external_ids else None,
            intercom_company_id=company.intercom_company_id if external_ids else None,
            mixpanel_group_id=company.mixpanel_group_id if external_ids else None,
        )
        if first_contact:
            Contact.objects.create(
                account=accounts[n], email=demo_contact_email(n, 0), is_primary=True
            )
    return accounts


def credentials_for(sandbox: Any, provider: str) -> dict[str, str]:
    return sandbox.credentials.connection_credentials(provider)


def make_connection(sandbox: Any, provider: str, **options: Any) -> Connection:
    settings = {"retry_base_delay": 0.05, "retry_max_delay": 2.0, **options}
    return Connection.objects.create(
        provider=provider,
        name=f"sandbox {provider}",
        base_url=sandbox.base_url(provider),
        credentials=credentials_for(sandbox, provider),
        settings=settings,
    )


def sandbox_tickets(sandbox: Any) -> list[dict[str, Any]]:
    response = requests.get(f"{sandbox.url}/_sandbox/zendesk/tickets", timeout=T)
    response.raise_for_status()
    return response.json()["tickets"]


def matched_org_ids(numbers: range | list[int]) -> set[int]:
    return {int(demo_company(n).zendesk_org_id) for n in numbers}
