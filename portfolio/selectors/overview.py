"""The account 360: everything a CSM (or agent) needs about one account, from rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q

from customers.models import CTA, Account, Contract, ContractStatus, Renewal, RenewalStage
from customers.models.engagement import OPEN_CTA
from health.selectors.account_signals import (
    health_latest_for_account,
    survey_summary_for_account,
    usage_summary_for_account,
)
from integrations.selectors.tickets import ticket_open_summary_for_account


def contract_current_for_account(account_id: int, *, today: date) -> Contract | None:
    return (
        Contract.objects.filter(account_id=account_id, status=ContractStatus.ACTIVE)
        .filter(Q(end_date__gte=today))
        .order_by("end_date", "id")
        .first()
    )


def renewal_next_for_account(account_id: int) -> Renewal | None:
    return (
        Renewal.objects.filter(account_id=account_id)
        .exclude(stage=RenewalStage.CLOSED)
        .order_by("renewal_date", "id")
        .first()
    )


def health_component_rows(snapshot_result: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten a stored scoring result into per-measure rows (whatever its version)."""
    rows = []
    for measure in snapshot_result.get("measures", []):
        rows.append(
            {
                "key": measure.get("key"),
                "label": measure.get("label", measure.get("key")),
                "group": measure.get("group"),
                "input": measure.get("raw_input", measure.get("input")),
                "score": measure.get("score"),
                "weight": measure.get("effective_weight", measure.get("weight")),
                "contribution": measure.get("contribution"),
                "status": measure.get("status"),
            }
        )
    return rows


def account_overview(account: Account, *, today: date) -> dict[str, Any]:
    snapshot = health_latest_for_account(account.pk)
    contract = contract_current_for_account(account.pk, today=today)
    renewal = renewal_next_for_account(account.pk)
    ctas = list(
        CTA.objects.filter(OPEN_CTA, account_id=account.pk)
        .order_by("due_date", "-created_at")
        .values("id", "reason", "title", "priority", "status", "due_date", "created_at")[:10]
    )
    return {
        "account": account,
        "health": snapshot,
        "contract": contract,
        "renewal": renewal,
        "days_to_renewal": (renewal.renewal_date - today).days if renewal else None,
        "tickets": ticket_open_summary_for_account(account.pk),
        "usage": usage_summary_for_account(account.pk, today=today),
        "surveys": survey_summary_for_account(account.pk, today=today),
        "ctas": ctas,
    }
