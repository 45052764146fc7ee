"""Community and advocacy programs: members, contributions and the points ledger."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce

from cs_platform.core.errors import PermissionDenied, field_error
from cs_platform.core.models import Role
from cs_platform.core.tools import ToolContext, tool
from customers.models import Program, ProgramContribution, ProgramKind, ProgramMember
from customers.selectors.scope import account_list_for_actor
from customers.services.programs import (
    DEFAULT_POINTS,
    program_contribution_record,
    program_create,
    program_get,
    program_member_add,
    program_member_get,
    program_member_leave,
)
from customers.tools.programs_contracts import ManageProgramInput, ManageProgramOutput

NEEDS = {
    "create_program": ("program_key", "name"),
    "join": ("program_key", "contact_id"),
    "leave": ("program_key", "contact_id"),
    "contribute": ("program_key", "contact_id", "contribution_kind"),
    "member": ("program_key", "contact_id"),
    "leaderboard": ("program_key",),
}
READS = ("list_programs", "member", "leaderboard")


def _members(ctx: ToolContext, program: Program) -> Any:
    return (
        ProgramMember.objects.filter(
            program=program,
            left_at__isnull=True,
            contact__account__in=account_list_for_actor(ctx.actor),
        )
        .select_related("contact", "contact__account")
        .annotate(
            balance=Coalesce(Sum("contributions__points"), Value(0), output_field=IntegerField())
        )
    )


def _member_row(m: ProgramMember) -> dict[str, Any]:
    c = m.contact
    return {
        "contact_id": c.pk,
        "contact_name": f"{c.first_name} {c.last_name}".strip() or c.email,
        "account_id": c.account_id,
        "account_name": c.account.name,
        "level": m.level,
        "joined_at": m.joined_at,
        "left_at": m.left_at,
        "balance": m.balance,
    }


def _manage(ctx: ToolContext, params: ManageProgramInput, kind: str) -> ManageProgramOutput:
    out: dict[str, Any] = {
        "as_of": ctx.now,
        "action": params.action,
        "default_points": DEFAULT_POINTS[kind],
        "programs": None,
        "member": None,
        "ledger": None,
        "leaderboard": None,
    }
    for name in NEEDS.get(params.action, ()):
        if getattr(params, name) is None:
            raise field_error(name, f"is required to {params.action}", code="required")
    if params.action == "list_programs":
        book = Q(members__contact__account__in=account_list_for_actor(ctx.actor))
        active = book & Q(members__left_at__isnull=True)
        programs = (
            Program.objects.filter(kind=kind)
            .annotate(
                n=Count("members", filter=active, distinct=True),
                pts=Coalesce(
                    Sum("members__contributions__points", filter=book),
                    Value(0),
                    output_field=IntegerField(),
                ),
            )
            .order_by("key")
        )
        out["programs"] = [
            {
                "key": p.key,
                "name": p.name,
                "is_active": p.is_active,
                "members_in_book": p.n,
                "points_in_book": p.pts,
            }
            for p in programs
        ]
        return ManageProgramOutput(**out)
    if params.action == "create_program":
        if not (ctx.actor.role == Role.MANAGER or ctx.actor.user.is_superuser):
            raise PermissionDenied("create_program is for CS managers", details={"field": "action"})
        program = program_create(
            actor=ctx.actor,
            kind=kind,
            key=params.program_key,
            name=params.name,
            description=params.description or "",
        )
        ctx.audit(program, changes={"action": "create_program"})
        return ManageProgramOutput(
            **{
                **out,
                "programs": [
                    {
                        "key": program.key,
                        "name": program.name,
                        "is_active": True,
                        "members_in_book": 0,
                        "points_in_book": 0,
                    }
                ],
            }
        )
    program = program_get(kind, params.program_key)
    if params.action == "leaderboard":
        rows = _members(ctx, program).order_by("-balance", "joined_at", "pk")[: params.limit]
        out["leaderboard"] = [_member_row(m) for m in rows]
        return ManageProgramOutput(**out)
    if params.action == "join":
        member = program_member_add(
            actor=ctx.actor,
            program=program,
            contact_id=params.contact_id,
            level=params.level or "",
            now=ctx.now,
        )
    else:
        member = program_member_get(ctx.actor, program, params.contact_id)
    if params.action == "leave":
        program_member_leave(actor=ctx.actor, member=member, now=ctx.now)
    if params.action == "contribute":
        program_contribution_record(
            actor=ctx.actor,
            member=member,
            kind=params.contribution_kind,
            points=params.points,
            note=params.note or "",
            now=ctx.now,
        )
    if params.action not in READS:
        ctx.audit(member, changes={"action": params.action}, account_id=member.contact.account_id)
    row = (
        ProgramMember.objects.filter(pk=member.pk)
        .select_related("contact", "contact__account")
        .annotate(
            balance=Coalesce(Sum("contributions__points"), Value(0), output_field=IntegerField())
        )
        .get()
    )
    out["member"] = _member_row(row)
    out["ledger"] = [
        {"kind": c.kind, "points": c.points, "occurred_at": c.occurred_at, "note": c.note}
        for c in ProgramContribution.objects.filter(member=member).order_by("-occurred_at", "-pk")[
            :50
        ]
    ]
    return ManageProgramOutput(**out)


@tool(permission="write", read_only=False, idempotent=False, read_actions=READS)
def manage_community(ctx: ToolContext, params: ManageProgramInput) -> ManageProgramOutput:
    """Community programs: contacts of your book `join`/`leave`; `contribute` appends to
    the points ledger (posts, answers, events; default_points, or `points`, negative to
    correct); `member` shows balance and ledger; `leaderboard` ranks your book's members."""
    return _manage(ctx, params, ProgramKind.COMMUNITY)


@tool(permission="write", read_only=False, idempotent=False, read_actions=READS)
def manage_advocacy_program(ctx: ToolContext, params: ManageProgramInput) -> ManageProgramOutput:
    """Advocacy programs: enrol contacts of your book as advocates (`join`/`leave`), log
    references, referrals, reviews, case studies and talks to the points ledger
    (default_points or `points`); `member` shows balance and ledger; `leaderboard`."""
    return _manage(ctx, params, ProgramKind.ADVOCACY)
