"""Renewal writes: a forecast probability override (with its reason), the negotiation
(proposal checked against the discount guardrails, a manager's decision) and the close.
Each change is audited; the caller passes a renewal it locked through the actor's scope."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from audit.services import audit_record
from cs_platform.core.actors import Actor
from cs_platform.core.errors import Conflict, PermissionDenied, field_error
from cs_platform.core.models import Role
from customers.models import ProposalStatus, Renewal, RenewalOutcome, RenewalStage


def _open(renewal: Renewal) -> None:
    if renewal.stage == RenewalStage.CLOSED:
        raise Conflict(
            f"renewal {renewal.pk} is closed ({renewal.outcome})",
            code="renewal_closed",
            details={"field": "renewal_id"},
        )


def _is_manager(actor: Actor) -> bool:
    return actor.role == Role.MANAGER or actor.user.is_superuser


def discount_pct(current: Decimal, proposed: Decimal) -> Decimal:
    """% off the current ARR (negative for an uplift), to 0.1."""
    if current <= 0:
        return Decimal("0.0")
    return ((current - proposed) * 100 / current).quantize(Decimal("0.1"), ROUND_HALF_UP)


def renewal_probability_override(
    *, actor: Actor, renewal: Renewal, probability: Decimal | None, reason: str
) -> dict:
    """Set (or clear, with None) the probability that replaces the computed one."""
    _open(renewal)
    if probability is not None and not reason.strip():
        raise field_error("reason", "an override needs its reason", code="required")
    before = {
        "probability": renewal.probability_override,
        "reason": renewal.probability_override_reason,
    }
    renewal.probability_override = probability
    renewal.probability_override_reason = reason.strip() if probability is not None else ""
    renewal.save(update_fields=["probability_override", "probability_override_reason"])
    after = {"probability": probability, "reason": renewal.probability_override_reason}
    audit_record(
        actor, "renewal.probability_overridden", renewal, account_id=renewal.account_id,
        changes={"before": before, "after": after},
    )  # fmt: skip
    return {"before": before, "after": after}


def renewal_propose(
    *, actor: Actor, renewal: Renewal, proposed_arr: Decimal, reason: str, now: datetime
) -> Decimal:
    """Record a proposal. Within RENEWAL_DISCOUNT_SELF_APPROVE_PCT (or by a manager) it is
    approved; up to RENEWAL_DISCOUNT_MAX_PCT it waits for a manager; beyond, refused."""
    _open(renewal)
    discount = discount_pct(renewal.current_arr, proposed_arr)
    limit = Decimal(str(settings.RENEWAL_DISCOUNT_MAX_PCT))
    if discount > limit:
        raise field_error(
            "proposed_arr", f"is a {discount}% discount, beyond the {limit}% guardrail",
            code="guardrail",
        )  # fmt: skip
    if discount > 0 and not reason.strip():
        raise field_error("reason", "a discount needs its reason", code="required")
    self_limit = Decimal(str(settings.RENEWAL_DISCOUNT_SELF_APPROVE_PCT))
    approved = discount <= self_limit or _is_manager(actor)
    renewal.proposed_arr = proposed_arr
    renewal.proposal_reason = reason.strip()
    renewal.proposal_status = (
        ProposalStatus.APPROVED if approved else ProposalStatus.PENDING_APPROVAL
    )
    renewal.proposal_decided_by = actor.user if approved else None
    renewal.proposal_decided_at = now if approved else None
    if renewal.stage == RenewalStage.UPCOMING:
        renewal.stage = RenewalStage.IN_NEGOTIATION
    renewal.save(
        update_fields=[
            "proposed_arr", "proposal_reason", "proposal_status", "proposal_decided_by",
            "proposal_decided_at", "stage",
        ]
    )  # fmt: skip
    audit_record(
        actor, "renewal.proposed", renewal, account_id=renewal.account_id,
        changes={"proposed_arr": proposed_arr, "discount_pct": discount,
                 "status": renewal.proposal_status},
    )  # fmt: skip
    return discount


def renewal_proposal_decide(
    *, actor: Actor, renewal: Renewal, approve: bool, reason: str, now: datetime
) -> None:
    """A manager approves or rejects a proposal waiting for approval."""
    if not _is_manager(actor):
        raise PermissionDenied(
            "only a CS manager approves or rejects a discount", details={"field": "action"}
        )
    _open(renewal)
    if renewal.proposal_status != ProposalStatus.PENDING_APPROVAL:
        raise Conflict(
            f"renewal {renewal.pk} has no proposal waiting for approval",
            code="nothing_to_decide",
            details={"field": "renewal_id", "proposal_status": renewal.proposal_status},
        )
    if not approve and not reason.strip():
        raise field_error("reason", "a rejection needs its reason", code="required")
    renewal.proposal_status = ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED
    renewal.proposal_decided_by, renewal.proposal_decided_at = actor.user, now
    renewal.save(update_fields=["proposal_status", "proposal_decided_by", "proposal_decided_at"])
    audit_record(
        actor, "renewal.proposal_decided", renewal, account_id=renewal.account_id,
        changes={"status": renewal.proposal_status, "reason": reason.strip()},
    )  # fmt: skip


def renewal_close(
    *, actor: Actor, renewal: Renewal, outcome: str, outcome_arr: Decimal | None, now: datetime
) -> None:
    """Close the renewal with its outcome and resulting ARR (0 when churned)."""
    _open(renewal)
    if outcome not in RenewalOutcome.values:
        raise field_error("outcome", f"must be one of {', '.join(RenewalOutcome.values)}")
    if outcome == RenewalOutcome.CHURNED:
        outcome_arr = Decimal("0.00") if outcome_arr is None else outcome_arr
        if outcome_arr != 0:
            raise field_error("outcome_arr", "must be 0 for a churned renewal")
    elif outcome_arr is None:
        raise field_error("outcome_arr", "is required to close a renewal", code="required")
    if renewal.proposal_status == ProposalStatus.PENDING_APPROVAL:
        raise Conflict(
            f"renewal {renewal.pk} has a proposal waiting for a manager",
            code="approval_pending",
            details={"field": "renewal_id"},
        )
    renewal.stage, renewal.outcome, renewal.outcome_arr = RenewalStage.CLOSED, outcome, outcome_arr
    renewal.closed_on = now.date()
    renewal.save(update_fields=["stage", "outcome", "outcome_arr", "closed_on"])
    audit_record(
        actor, "renewal.closed", renewal, account_id=renewal.account_id,
        changes={"outcome": outcome, "outcome_arr": outcome_arr},
    )  # fmt: skip
