"""Deterministic Zendesk records: organizations, end users and tickets."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cs_platform.core import clock
from integrations.sandbox.data import FEATURES, ZENDESK_USER_BASE, Dataset, iso, rng

PRIORITIES = ("low", "normal", "high", "urgent")
WRITABLE_STATUSES = ("new", "open", "pending", "hold", "solved")
_SUBJECTS = (
    "Cannot export {f} to CSV",
    "{f} page loads slowly",
    "Question about {f} permissions",
    "Error 500 when opening {f}",
    "How do we set up {f}?",
    "Billing question related to {f}",
    "{f} stopped syncing overnight",
    "Feature request: bulk edit in {f}",
)
_HOST = "https://sandbox.zendesk.com/api/v2"
# Users created through the API get ids below the generated ones (data.ZENDESK_USER_BASE).
CREATED_USER_BASE = 4_000_000_000


def generate_organizations(ds: Dataset) -> list[dict[str, Any]]:
    """Sorted by (updated, id); ``_updated`` is the epoch used by the export (stripped
    from responses). Updated times are distinct so time-based paging always advances."""
    orgs = []
    used: set[int] = set()
    matched = [(n, ds.company(n)) for n in ds.account_numbers]
    for n, company in matched:
        r = rng(ds.seed, "zd-org", n)
        updated = ds.when(r)
        while updated in used:
            updated += 1
        used.add(updated)
        orgs.append(
            _organization(
                int(company.zendesk_org_id),
                company.name,
                company.domain,
                f"demo-account-{n}",
                updated - r.randint(86400, 86400 * 400),
                updated,
            )
        )
    for j in ds.orphan_numbers:
        r = rng(ds.seed, "zd-orphan-org", j)
        updated = ds.when(r)
        while updated in used:
            updated += 1
        used.add(updated)
        orgs.append(
            _organization(
                ds.orphan_org_id(j),
                f"Unmatched Prospect {j:03d}",
                f"unmatched-{j:03d}.example",
                None,
                updated - 86400 * 30,
                updated,
            )
        )
    orgs.sort(key=lambda o: (o["_updated"], o["id"]))
    return orgs


def _organization(
    org_id: int, name: str, domain: str, external_id: str | None, created: int, updated: int
) -> dict[str, Any]:
    return {
        "id": org_id,
        "url": f"{_HOST}/organizations/{org_id}.json",
        "name": name,
        "domain_names": [domain],
        "external_id": external_id,
        "details": "",
        "notes": "",
        "group_id": None,
        "shared_tickets": False,
        "shared_comments": False,
        "tags": [],
        "organization_fields": {},
        "created_at": iso(created),
        "updated_at": iso(updated),
        "_updated": updated,
    }


def generate_users(ds: Dataset) -> list[dict[str, Any]]:
    users = []
    for n in ds.account_numbers:
        org_id = int(ds.company(n).zendesk_org_id)
        for i, email in enumerate(ds.contact_emails(n)):
            users.append(_user(ds.zendesk_user_id(n, i), email, org_id, ds.start_epoch))
    for j in ds.orphan_numbers:
        users.append(
            _user(ds.zendesk_user_id(0, j), ds.orphan_email(j), ds.orphan_org_id(j), ds.start_epoch)
        )
    return users


def _user(user_id: int, email: str, org_id: int, created: int) -> dict[str, Any]:
    local = email.split("@")[0]
    return {
        "id": user_id,
        "name": local.replace(".", " ").title(),
        "email": email,
        "role": "end-user",
        "organization_id": org_id,
        "created_at": iso(created),
        "updated_at": iso(created),
    }


def generate_tickets(ds: Dataset) -> list[dict[str, Any]]:
    """Tickets per account follow its usage trend (declining accounts complain more);
    ids are assigned in creation order, as Zendesk's are."""
    drafts: list[tuple[int, dict[str, Any], str, int]] = []
    mean = ds.config.tickets_per_account
    for n in ds.account_numbers:
        r = rng(ds.seed, "zd-tickets", n)
        load = {"declining": 1.8, "quiet": 1.4, "growing": 0.8}.get(ds.trend(n), 1.0)
        count = int(r.random() * 2 * mean * load + 0.5)
        contacts = ds.contacts_per_account(n)
        for _ in range(count):
            requester = ds.zendesk_user_id(n, r.randrange(contacts))
            drafts.append(_draft(ds, r, requester))
    for j in ds.orphan_numbers:
        r = rng(ds.seed, "zd-orphan-tickets", j)
        drafts.append(_draft(ds, r, ds.zendesk_user_id(0, j), org_id=ds.orphan_org_id(j)))
    drafts.sort(key=lambda d: (d[0], d[1]["requester_id"], d[1]["subject"]))
    tickets = []
    for ticket_id, (created, fields, description, updated) in enumerate(drafts, start=1):
        ticket = new_ticket(ds, ticket_id, fields, description, created)
        ticket["updated_at"] = iso(updated)
        ticket["generated_timestamp"] = updated
        tickets.append(ticket)
    return tickets


def _draft(
    ds: Dataset, r: Any, requester: int, org_id: int | None = None
) -> tuple[int, dict[str, Any], str, int]:
    created = ds.when(r)
    age_days = (ds.end_epoch - created) / 86400
    feature = r.choice(FEATURES)
    if age_days > 14:
        status = r.choices(("closed", "solved", "open", "pending"), (5, 3, 1, 1))[0]
    else:
        status = r.choices(("new", "open", "pending", "hold", "solved"), (2, 4, 2, 1, 1))[0]
    if status in ("solved", "closed") and r.random() < 0.6:
        good = r.random() < 0.75
        rating: dict[str, Any] = {
            "id": r.randint(10**8, 10**9),
            "score": "good" if good else "bad",
            "comment": "Quick and helpful" if good else "Took too long to resolve",
        }
    else:
        rating = {"score": "offered" if status == "solved" else "unoffered"}
    subject = r.choice(_SUBJECTS).format(f=feature)
    fields = {
        "subject": subject,
        "requester_id": requester,
        "priority": r.choices(PRIORITIES, (3, 5, 2, 1))[0],
        "status": status,
        "type": r.choice(("question", "incident", "problem", "task")),
        "tags": [feature] + (["billing"] if subject.startswith("Billing") else []),
        "satisfaction_rating": rating,
    }
    if org_id is not None:
        fields["organization_id"] = org_id
    description = f"Hello, we need help with {feature}. Our team is blocked since yesterday."
    updated = min(created + r.randint(600, 86400 * 5), ds.end_epoch - 60)
    return created, fields, description, max(updated, created)


def new_ticket(
    ds: Dataset, ticket_id: int, fields: dict[str, Any], description: str, stamp: int
) -> dict[str, Any]:
    """A ticket as Zendesk stores it; the organization defaults to the requester's."""
    requester = fields.get("requester_id")
    org_id = fields.get("organization_id")
    if org_id is None and isinstance(requester, int) and requester >= ZENDESK_USER_BASE:
        number = (requester - ZENDESK_USER_BASE) // 100
        if 1 <= number <= ds.config.accounts:
            org_id = int(ds.company(number).zendesk_org_id)
        elif number == 0:
            org_id = ds.orphan_org_id(requester % 100)
    return {
        "id": ticket_id,
        "url": f"{_HOST}/tickets/{ticket_id}.json",
        "external_id": fields.get("external_id"),
        "via": {"channel": "api" if stamp > ds.end_epoch else "email"},
        "created_at": iso(stamp),
        "updated_at": iso(stamp),
        "generated_timestamp": stamp,
        "type": fields.get("type", "question"),
        "subject": fields.get("subject", ""),
        "raw_subject": fields.get("subject", ""),
        "description": description,
        "priority": fields.get("priority", "normal"),
        "status": fields.get("status", "new"),
        "requester_id": requester,
        "submitter_id": requester,
        "assignee_id": fields.get("assignee_id"),
        "organization_id": org_id,
        "group_id": None,
        "tags": list(fields.get("tags", [])),
        "custom_fields": list(fields.get("custom_fields", [])),
        "satisfaction_rating": fields.get("satisfaction_rating", {"score": "unoffered"}),
        "is_public": True,
    }


def encode_cursor(epoch: int, ticket_id: int) -> str:
    return base64.urlsafe_b64encode(f"{epoch}.0||{ticket_id}|".encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        stamp, _, rest = text.partition("||")
        return int(float(stamp)), int(rest.rstrip("|"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("invalid cursor") from None


def find_or_create_user(
    users: dict[int, dict[str, Any]],
    organizations: list[dict[str, Any]],
    requester: dict[str, Any],
) -> dict[str, Any]:
    """Find the end user by e-mail or create one; like Zendesk, a new user joins the
    organization whose domain_names contain the e-mail's domain."""
    email = str(requester.get("email", "")).lower()
    for user in users.values():
        if email and user["email"] == email:
            return user
    domain = email.rpartition("@")[2]
    org_id = next((o["id"] for o in organizations if domain in o["domain_names"]), None)
    user_id = max((u for u in users if u < CREATED_USER_BASE * 2), default=0)
    user = {
        "id": max(user_id + 1, CREATED_USER_BASE),
        "name": str(requester.get("name") or email),
        "email": email,
        "role": "end-user",
        "organization_id": org_id,
        "created_at": iso(clock.epoch()),
        "updated_at": iso(clock.epoch()),
    }
    users[user["id"]] = user
    return user
