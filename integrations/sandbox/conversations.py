"""Deterministic Intercom records (contacts with their companies, conversations) and the
evaluation of Intercom search queries over them."""

from __future__ import annotations

from typing import Any

from integrations.sandbox.data import FEATURES, Dataset, rng

_OPENERS = (
    "How do I configure {f} for my team?",
    "We see errors in {f} since this morning",
    "Can {f} be limited to admins?",
    "Is there an API for {f}?",
    "Our {f} numbers look wrong",
)
FIRST_CONVERSATION_ID = 100_000


def contact_record(
    contact_id: str,
    email: str,
    role: str,
    created: int,
    updated: int,
    company_id: str | None,
) -> dict[str, Any]:
    local = email.split("@")[0]
    companies = (
        [{"type": "company", "id": company_id, "url": f"/companies/{company_id}"}]
        if company_id
        else []
    )
    return {
        "type": "contact",
        "id": contact_id,
        "workspace_id": "sandbox",
        "external_id": None,
        "role": role,
        "email": email,
        "name": local.replace(".", " ").title(),
        "phone": None,
        "created_at": created,
        "updated_at": updated,
        "signed_up_at": created if role == "user" else None,
        "last_seen_at": updated,
        "companies": {
            "type": "list",
            "data": companies,
            "url": f"/contacts/{contact_id}/companies",
            "total_count": len(companies),
            "has_more": False,
        },
        "custom_attributes": {},
    }


def generate_contacts(ds: Dataset) -> list[dict[str, Any]]:
    contacts = []
    for n in ds.account_numbers:
        company_id = ds.company(n).intercom_company_id
        for i, email in enumerate(ds.contact_emails(n)):
            r = rng(ds.seed, "ic-contact", n, i)
            created = ds.when(r)
            updated = min(created + r.randint(0, 86400 * 30), ds.end_epoch - 60)
            contacts.append(
                contact_record(
                    ds.intercom_contact_id(n, i), email, "user", created, updated, company_id
                )
            )
    for j in ds.orphan_numbers:
        r = rng(ds.seed, "ic-orphan", j)
        created = ds.when(r)
        contacts.append(
            contact_record(
                ds.intercom_contact_id(0, j), ds.orphan_email(j), "lead", created, created, None
            )
        )
    return contacts


def generate_conversations(ds: Dataset, contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A few conversations per contact-bearing account; ids follow creation order."""
    drafts = []
    for contact in contacts:
        r = rng(ds.seed, "ic-conv", contact["id"])
        for _ in range(r.choices((0, 1, 2, 3), (4, 3, 2, 1))[0]):
            drafts.append((ds.when(r), contact, r.random(), r.choice(FEATURES), r.random()))
    drafts.sort(key=lambda d: (d[0], d[1]["id"]))
    conversations = []
    for offset, (created, contact, roll, feature, roll2) in enumerate(drafts):
        conversation_id = str(FIRST_CONVERSATION_ID + offset)
        updated = min(created + int(roll * 86400 * 3) + 60, ds.end_epoch - 60)
        state = "closed" if roll < 0.6 else ("snoozed" if roll < 0.7 else "open")
        rating = (
            {"rating": 1 + int(roll2 * 5), "remark": "", "created_at": updated}
            if state == "closed" and roll2 > 0.3
            else None
        )
        conversations.append(
            conversation_record(
                conversation_id,
                contact,
                created,
                updated,
                state,
                "priority" if roll2 > 0.8 else "not_priority",
                _OPENERS[int(roll2 * len(_OPENERS))].format(f=feature),
                rating,
            )
        )
    return conversations


def conversation_record(
    conversation_id: str,
    contact: dict[str, Any],
    created: int,
    updated: int,
    state: str,
    priority: str,
    subject: str,
    rating: dict[str, Any] | None,
) -> dict[str, Any]:
    first_reply = created + 300 + int(conversation_id) % 3000
    closed = state == "closed"
    return {
        "type": "conversation",
        "id": conversation_id,
        "title": subject,
        "created_at": created,
        "updated_at": updated,
        "waiting_since": None if closed else updated,
        "snoozed_until": updated + 86400 if state == "snoozed" else None,
        "open": state != "closed",
        "state": state,
        "read": True,
        "priority": priority,
        "admin_assignee_id": None,
        "team_assignee_id": None,
        "tags": {"type": "tag.list", "tags": []},
        "conversation_rating": rating,
        "source": {
            "type": "conversation",
            "id": f"src-{conversation_id}",
            "delivered_as": "customer_initiated",
            "subject": subject,
            "body": f"<p>{subject}</p>",
            "author": {
                "type": "user" if contact["role"] == "user" else "lead",
                "id": contact["id"],
                "name": contact["name"],
                "email": contact["email"],
            },
            "attachments": [],
            "url": None,
        },
        "contacts": {
            "type": "contact.list",
            "contacts": [{"type": "contact", "id": contact["id"], "external_id": None}],
        },
        "statistics": {
            "type": "conversation_statistics",
            "time_to_assignment": 0,
            "time_to_admin_reply": first_reply - created,
            "time_to_first_close": (updated - created) if closed else None,
            "first_contact_reply_at": created,
            "first_admin_reply_at": first_reply,
            "first_close_at": updated if closed else None,
            "last_close_at": updated if closed else None,
            "count_reopens": 0,
            "count_assignments": 1,
            "count_conversation_parts": 2 + int(conversation_id) % 5,
        },
        "custom_attributes": {},
    }


def field_value(record: dict[str, Any], field: str) -> Any:
    value: Any = record
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def matches(record: dict[str, Any], query: dict[str, Any]) -> bool:
    """Evaluate an Intercom search query; raises ValueError on a malformed one."""
    operator = query.get("operator")
    if operator in ("AND", "OR"):
        parts = query.get("value")
        if not isinstance(parts, list) or not parts:
            raise ValueError(f"{operator} needs a non-empty list of filters")
        results = (matches(record, part) for part in parts)
        return all(results) if operator == "AND" else any(results)
    if "field" not in query or "value" not in query:
        raise ValueError("a filter needs field, operator and value")
    actual, expected = field_value(record, query["field"]), query["value"]
    if operator == "=":
        return actual == expected
    if operator == "!=":
        return actual != expected
    if operator in (">", "<"):
        if actual is None:
            return False
        try:
            return actual > expected if operator == ">" else actual < expected
        except TypeError:
            raise ValueError(f"cannot compare {query['field']} with {expected!r}") from None
    if operator in ("IN", "NIN"):
        if not isinstance(expected, list):
            raise ValueError(f"{operator} needs a list value")
        return (actual in expected) == (operator == "IN")
    if operator == "~":
        return isinstance(actual, str) and str(expected).lower() in actual.lower()
    raise ValueError(f"unsupported operator {operator!r}")
