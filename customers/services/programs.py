"""Community and advocacy programs: members (contacts of accounts in the actor's book)
and the points ledger — append-only contribution rows whose sum is a member's balance.
A correction is a new row with negative points, never an edit."""

from __future__ import annotations

from datetime import datetime

from audit.services import audit_record
from cs_platform.core.actors import Actor
from cs_platform.core.errors import Conflict, NotFound, field_error
from customers.models import Contact, Program, ProgramContribution, ProgramKind, ProgramMember
from customers.selectors.scope import account_list_for_actor

# Points a contribution earns when the caller does not give them.
DEFAULT_POINTS = {
    ProgramKind.COMMUNITY: {"post": 5, "answer": 10, "accepted_answer": 25, "event": 20},
    ProgramKind.ADVOCACY: {
        "review": 30,
        "reference_call": 50,
        "referral": 75,
        "speaking": 80,
        "case_study": 100,
    },
}


def program_get(kind: str, key: str) -> Program:
    program = Program.objects.filter(kind=kind, key=key).first()
    if program is None:
        raise NotFound(f"no {kind} program {key!r}", details={"field": "program_key"})
    return program


def program_create(*, actor: Actor, kind: str, key: str, name: str, description: str) -> Program:
    if Program.objects.filter(key=key).exists():
        raise Conflict(f"a program with key {key!r} exists", details={"field": "program_key"})
    program = Program.objects.create(kind=kind, key=key, name=name, description=description)
    audit_record(actor, "program.created", program, changes={"kind": kind, "key": key})
    return program


def _contact(actor: Actor, contact_id: int) -> Contact:
    contact = (
        Contact.objects.filter(
            pk=contact_id, account__in=account_list_for_actor(actor), erased_at__isnull=True
        )
        .select_related("account")
        .first()
    )
    if contact is None:
        raise NotFound(
            f"contact {contact_id} not found in your book of business",
            details={"field": "contact_id"},
        )
    return contact


def program_member_get(actor: Actor, program: Program, contact_id: int) -> ProgramMember:
    contact = _contact(actor, contact_id)
    member = ProgramMember.objects.filter(program=program, contact=contact).first()
    if member is None or member.left_at is not None:
        raise NotFound(
            f"contact {contact_id} is not a member of {program.key}",
            details={"field": "contact_id"},
        )
    return member


def program_member_add(
    *, actor: Actor, program: Program, contact_id: int, level: str, now: datetime
) -> ProgramMember:
    """Join (or rejoin after leaving; the ledger is kept)."""
    if not program.is_active:
        raise Conflict(f"program {program.key} is closed", details={"field": "program_key"})
    contact = _contact(actor, contact_id)
    member, created = ProgramMember.objects.get_or_create(
        program=program, contact=contact, defaults={"joined_at": now, "level": level}
    )
    if not created:
        if member.left_at is None:
            raise Conflict(
                "already a member", code="already_member", details={"field": "contact_id"}
            )
        member.left_at, member.level = None, level or member.level
        member.save(update_fields=["left_at", "level"])
    audit_record(
        actor,
        "program.member_joined",
        member,
        account_id=contact.account_id,
        changes={"program": program.key},
    )
    return member


def program_member_leave(*, actor: Actor, member: ProgramMember, now: datetime) -> None:
    member.left_at = now
    member.save(update_fields=["left_at"])
    audit_record(
        actor,
        "program.member_left",
        member,
        account_id=member.contact.account_id,
        changes={"program": member.program.key},
    )


def program_contribution_record(
    *,
    actor: Actor,
    member: ProgramMember,
    kind: str,
    points: int | None,
    note: str,
    now: datetime,
) -> ProgramContribution:
    """Append a ledger row; without `points`, the kind's default (unknown kind: required)."""
    defaults = DEFAULT_POINTS.get(member.program.kind, {})
    if points is None:
        if kind not in defaults:
            raise field_error(
                "points",
                f"required for kind {kind!r} (defaults: {sorted(defaults)})",
                code="required",
            )
        points = defaults[kind]
    if points == 0:
        raise field_error("points", "must not be 0")
    row = ProgramContribution.objects.create(
        member=member, kind=kind, points=points, occurred_at=now, note=note
    )
    audit_record(
        actor,
        "program.contribution",
        row,
        account_id=member.contact.account_id,
        changes={"program": member.program.key, "kind": kind, "points": points},
    )
    return row
