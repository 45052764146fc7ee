"""Product insights of the demo: the most requested and most complained-about themes of
the seeded feedback, each linked to the feedback behind it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from portfolio.seed.context import SeedContext
from portfolio.seed.rng import at

Row = dict[str, Any]
TEAMS = {"feature_request": "Product: roadmap council", "complaint": "Product: reliability"}
STATUS_BY_RANK = ("planned", "acknowledged", "shared")


@dataclass
class InsightRows:
    insights: list[Row] = field(default_factory=list)
    links: list[Row] = field(default_factory=list)


def insight_rows(ctx: SeedContext, feedback: list[Row]) -> InsightRows:
    out = InsightRows()
    by_theme: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in feedback:
        if row["kind"] in TEAMS:
            for tag in row["tags"]:
                by_theme[(row["kind"], tag)].append(row)
    for kind in TEAMS:
        ranked = sorted(
            ((theme, rows) for (k, theme), rows in by_theme.items() if k == kind),
            key=lambda item: (-len(item[1]), item[0]),
        )
        for rank, (theme, rows) in enumerate(ranked[:3]):
            insight_id = len(out.insights) + 1
            accounts = len({r["account_id"] for r in rows})
            label = kind.replace("_", " ")
            verb = "ask for" if kind == "feature_request" else "complain about"
            out.insights.append(
                {
                    "id": insight_id,
                    "title": f"{theme.replace('-', ' ').capitalize()}: top {label}",
                    "summary": f"{accounts} accounts {verb} {theme} ({len(rows)} items).",
                    "product_area": "",
                    "status": STATUS_BY_RANK[rank],
                    "shared_with": TEAMS[kind],
                    "created_by_id": None,
                    "created_at": at(ctx.cal.today, 11),
                    "updated_at": at(ctx.cal.today, 11),
                }
            )
            for r in rows[:50]:
                out.links.append(
                    {
                        "id": len(out.links) + 1,
                        "productinsight_id": insight_id,
                        "feedback_id": r["id"],
                    }
                )
    return out
