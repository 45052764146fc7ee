"""Stored onboarding templates (the seed's plan templates, with milestone offsets, owners
and dependencies) and training sessions: delivered ones behind the seeded completions
(one per account and module, attended by the contacts who completed it) and upcoming
ones for accounts still onboarding."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from portfolio.seed.catalogue import ENTERPRISE_ROLLOUT, QUICKSTART, STANDARD, TRAINING_MODULES
from portfolio.seed.context import SeedContext
from portfolio.seed.onboarding import customer_owned
from portfolio.seed.profiles import Archetype
from portfolio.seed.rng import at, stream

Row = dict[str, Any]
TEMPLATE_TIERS = {
    ENTERPRISE_ROLLOUT.key: "enterprise",
    STANDARD.key: "mid_market",
    QUICKSTART.key: "smb",
}


@dataclass
class TrainingRows:
    templates: list[Row] = field(default_factory=list)
    template_milestones: list[Row] = field(default_factory=list)
    sessions: list[Row] = field(default_factory=list)
    attendance: list[Row] = field(default_factory=list)


def _templates(ctx: SeedContext, out: TrainingRows) -> None:
    created = at(ctx.cal.today.replace(day=1), 8)
    for t_id, template in enumerate((ENTERPRISE_ROLLOUT, STANDARD, QUICKSTART), 1):
        out.templates.append(
            {
                "id": t_id,
                "key": template.key,
                "name": template.key.replace("-", " ").capitalize(),
                "tier": TEMPLATE_TIERS[template.key],
                "target_ttv_days": template.target_ttv_days,
                "is_active": True,
                "created_at": created,
            }
        )
        m = len(template.milestones)
        previous = None
        for i, (key, name) in enumerate(template.milestones):
            out.template_milestones.append(
                {
                    "id": len(out.template_milestones) + 1,
                    "template_id": t_id,
                    "key": key,
                    "name": name,
                    "position": i,
                    # The same due dates the seeded plans carry (onboarding_rows).
                    "due_offset_days": round(template.target_ttv_days * (i + 1) / m),
                    "owner": "customer" if customer_owned(key) else "csm",
                    "depends_on": [previous] if previous else [],
                }
            )
            previous = key


def training_rows(ctx: SeedContext, completions: list[Row]) -> TrainingRows:
    out = TrainingRows()
    _templates(ctx, out)
    account_of = {c: p.number for p in ctx.profiles for c in ctx.contact_ids(p)}
    groups: dict[tuple[int, int], list[Row]] = defaultdict(list)
    for c in completions:
        groups[(account_of[c["contact_id"]], c["module_id"])].append(c)
    for (account_id, module_id), rows in sorted(groups.items()):
        first = min(r["completed_at"] for r in rows)
        sid = len(out.sessions) + 1
        module = TRAINING_MODULES[module_id - 1]
        out.sessions.append(
            {
                "id": sid,
                "module_id": module_id,
                "account_id": account_id,
                "scheduled_at": first - timedelta(minutes=module.minutes),
                "duration_minutes": module.minutes,
                "trainer_id": None,
                "status": "delivered",
                "delivered_at": first,
                "created_at": first - timedelta(days=7),
            }
        )
        for r in sorted(rows, key=lambda r: r["contact_id"]):
            out.attendance.append(
                {
                    "id": len(out.attendance) + 1,
                    "session_id": sid,
                    "contact_id": r["contact_id"],
                    "status": "attended",
                    "score": r["score"],
                }
            )
    for p in ctx.profiles:
        if p.archetype != Archetype.ONBOARDING or not p.active:
            continue
        r = stream(ctx.seed, "sessions", p.number)
        sid = len(out.sessions) + 1
        when = at(ctx.cal.today + timedelta(days=r.randint(2, 14)), 15)
        out.sessions.append(
            {
                "id": sid,
                "module_id": 1,
                "account_id": p.number,
                "scheduled_at": when,
                "duration_minutes": TRAINING_MODULES[0].minutes,
                "trainer_id": ctx.owner_id(p),
                "status": "scheduled",
                "delivered_at": None,
                "created_at": at(ctx.cal.today, 9),
            }
        )
        for contact_id in list(ctx.contact_ids(p))[:3]:
            out.attendance.append(
                {
                    "id": len(out.attendance) + 1,
                    "session_id": sid,
                    "contact_id": contact_id,
                    "status": "registered",
                    "score": None,
                }
            )
    return out
