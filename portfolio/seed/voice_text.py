"""Comment and feedback texts whose tone matches the score or kind they come with."""

from __future__ import annotations

NPS_COMMENTS = {
    "promoter": (
        "{area} saves our team hours every week.",
        "Great product and a responsive CSM. {area} is now part of our daily routine.",
        "We rolled {area} out to two more teams; everyone loves it.",
        "Reliable, fast and the support team knows their stuff.",
        "Best tool we bought this year. {area} alone paid for it.",
    ),
    "passive": (
        "Does the job. {area} could be simpler to set up.",
        "Good overall, but pricing is getting hard to justify.",
        "Solid product; we would like more flexibility in {area}.",
        "Fine for now. Onboarding new colleagues still takes too long.",
    ),
    "detractor": (
        "{area} keeps breaking and tickets take days to get an answer.",
        "We barely use it anymore; {area} never fitted our workflow.",
        "Too expensive for what we get. Considering alternatives.",
        "Outages in {area} hurt us in front of our own customers.",
        "Support is slow and {area} still misses basic features.",
    ),
}
CSAT_COMMENTS = {
    "high": (
        "Very happy with {area}.",
        "Everything works as promised.",
        "Quick answers and a product that just works.",
    ),
    "mid": ("It is okay; {area} has rough edges.", "Average experience this quarter."),
    "low": (
        "Frustrated with {area}: too many problems.",
        "Not satisfied: slow, buggy and hard to use.",
        "Disappointed with the last releases of {area}.",
    ),
}
FEEDBACK_TEXTS = {
    "feature_request": (
        "Please add scheduling options to {area}.",
        "We need role-based permissions in {area}.",
        "Could {area} export straight to our data warehouse?",
        "Dark mode for {area} would help our night shift.",
    ),
    "bug": (
        "{area} loses filters after a page reload.",
        "Numbers in {area} do not match the export.",
        "{area} times out for large date ranges.",
    ),
    "praise": (
        "The new {area} is fantastic, thank you!",
        "{area} made our weekly review twice as fast.",
        "Our executives love the {area} views.",
    ),
    "complaint": (
        "Third outage in {area} this month; this is not acceptable.",
        "We were charged for seats nobody uses, and {area} is unreliable.",
        "Response times on {area} issues are far too slow.",
    ),
    "question": (
        "How do we share {area} with external partners?",
        "Is there a limit on how many items {area} can hold?",
        "Can {area} be used offline?",
    ),
}
# The theme of each text above, in the same order (stored as the feedback's tags).
FEEDBACK_TAGS = {
    "feature_request": (["scheduling"], ["permissions"], ["integrations"], ["ui"]),
    "bug": (["filters"], ["data-accuracy"], ["performance"]),
    "praise": (["ui"], ["productivity"], ["reporting"]),
    "complaint": (["reliability"], ["billing", "reliability"], ["support"]),
    "question": (["sharing"], ["limits"], ["offline"]),
}


def nps_band(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def csat_band(score: int) -> str:
    return "high" if score >= 4 else "mid" if score == 3 else "low"
