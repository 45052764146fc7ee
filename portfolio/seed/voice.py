"""NPS and CSAT answers with comments, and free-form feedback, correlated with the archetype.

NPS answers are 0-10 (never the -100..100 NPS); CSAT answers 1-5. A declining account's
mood falls across the window; a visibly churning one is unhappy; a silent churn is not.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from typing import Any

from health.models import FeedbackStatus, SurveyKind
from health.services.sentiment import text_sentiment
from portfolio.seed.catalogue import FEATURES
from portfolio.seed.context import SeedContext
from portfolio.seed.profiles import AccountProfile, Archetype
from portfolio.seed.rng import clamp, poisson, stream, weighted
from portfolio.seed.voice_text import (
    CSAT_COMMENTS,
    FEEDBACK_TAGS,
    FEEDBACK_TEXTS,
    NPS_COMMENTS,
    csat_band,
    nps_band,
)

A = Archetype
Row = dict[str, Any]
NPS_SURVEY_ID, CSAT_SURVEY_ID = 1, 2  # ids of catalogue.SURVEYS in order
NPS_PER_180D = {"enterprise": 4.0, "mid_market": 2.5, "smb": 1.5, "startup": 1.0}
NPS_MOOD = {A.GROWING: 8.7, A.FLAT: 7.6, A.GONE_QUIET: 7.4, A.ONBOARDING: 8.0}
CSAT_MOOD = {A.GROWING: 4.5, A.FLAT: 4.1, A.GONE_QUIET: 4.0, A.ONBOARDING: 4.2}
FEEDBACK_KINDS = {
    A.GROWING: (("feature_request", 45), ("praise", 30), ("question", 10), ("bug", 10)),
    A.FLAT: (("feature_request", 35), ("praise", 15), ("question", 20), ("bug", 20)),
    A.DECLINING: (("feature_request", 15), ("praise", 5), ("question", 10), ("bug", 35)),
    A.GONE_QUIET: (("feature_request", 30), ("praise", 15), ("question", 25), ("bug", 20)),
    A.CHURNED: (("feature_request", 10), ("question", 10), ("bug", 35), ("complaint", 45)),
    A.ONBOARDING: (("question", 40), ("feature_request", 25), ("bug", 20), ("praise", 10)),
}
COMPLAINT_SHARE = {A.GROWING: 5, A.FLAT: 10, A.DECLINING: 35, A.GONE_QUIET: 10, A.ONBOARDING: 5}


def _mood(p: AccountProfile, t: float, scale: str) -> float:
    """Mean answer at window position t (0..1) on the NPS (0-10) or CSAT (1-5) scale."""
    nps = scale == SurveyKind.NPS
    if p.crisis:
        return 6.8 - 5.5 * t if nps else 3.4 - 2.2 * t
    if p.archetype == A.DECLINING:
        return 7.2 - 3.5 * t if nps else 3.6 - 1.4 * t
    if p.archetype == A.CHURNED:
        if not p.visible:
            return 7.3 if nps else 3.9
        return 5.0 - 2.0 * t if nps else 2.7
    return (NPS_MOOD if nps else CSAT_MOOD)[p.archetype]


def _when(ctx: SeedContext, r: random.Random, lo: date, hi: date) -> tuple[Any, float]:
    moment = ctx.cal.moment(r, lo, hi)
    return moment, (moment.date() - ctx.cal.first_day).days / 180


def survey_response_rows(ctx: SeedContext) -> Iterator[Row]:
    rid = 0
    for p in ctx.profiles:
        lo, hi = ctx.data_from(p), ctx.engaged_until(p)
        if (hi - lo).days < 14:
            continue  # too new to have been surveyed
        r = stream(ctx.seed, "surveys", p.number)
        share = ((hi - lo).days + 1) / 180
        contacts = ctx.contact_ids(p)
        answers: list[Row] = []
        for kind, survey_id, mean in (
            (SurveyKind.NPS, NPS_SURVEY_ID, NPS_PER_180D[p.tier]),
            (SurveyKind.CSAT, CSAT_SURVEY_ID, 2.0),
        ):
            for _ in range(poisson(r, mean * share * r.uniform(0.7, 1.3))):
                moment, t = _when(ctx, r, lo, hi)
                sd, lo_s, hi_s = (1.4, 0, 10) if kind == SurveyKind.NPS else (0.7, 1, 5)
                score = int(clamp(round(r.gauss(_mood(p, t, kind), sd)), lo_s, hi_s))
                comment = ""
                if r.random() < (0.7 if kind == SurveyKind.NPS else 0.6):
                    pool = (
                        NPS_COMMENTS[nps_band(score)]
                        if kind == SurveyKind.NPS
                        else CSAT_COMMENTS[csat_band(score)]
                    )
                    comment = r.choice(pool).format(area=r.choice(FEATURES).name)
                answers.append(
                    {
                        "survey_id": survey_id,
                        "kind": kind,
                        "account_id": p.number,
                        "contact_id": contacts[r.randrange(len(contacts))],
                        "score": score,
                        "comment": comment,
                        "responded_at": moment,
                        "source": r.choice(("email", "in_app")),
                        "external_id": None,
                    }
                )
        answers.sort(key=lambda row: (row["responded_at"], row["kind"]))
        for row in answers:
            rid += 1
            row["id"] = rid
            yield row


def _feedback_status(r: random.Random, age_days: int, kind: str) -> str:
    if kind == "praise":
        return FeedbackStatus.TRIAGED
    if age_days > 60:
        options = (("shipped", 20), ("planned", 25), ("declined", 15), ("triaged", 40))
    else:
        options = (("new", 50), ("triaged", 40), ("planned", 10))
    return weighted(r, options)


def feedback_rows(ctx: SeedContext) -> Iterator[Row]:
    """Feedback with its text's VADER sentiment (scored once per distinct text)."""
    fid = 0
    _scores: dict[str, float] = {}
    for p in ctx.profiles:
        lo, hi = ctx.data_from(p), ctx.engaged_until(p)
        if hi < lo:
            continue
        r = stream(ctx.seed, "feedback", p.number)
        kinds = list(FEEDBACK_KINDS[A.FLAT if not p.visible else p.archetype])
        if p.archetype in COMPLAINT_SHARE:
            kinds.append(("complaint", COMPLAINT_SHARE[p.archetype]))
        contacts = ctx.contact_ids(p)
        items: list[Row] = []
        for _ in range(poisson(r, 2.2 * ((hi - lo).days + 1) / 180)):
            kind = weighted(r, kinds)
            feature = r.choice(FEATURES)
            created = ctx.cal.moment(r, lo, hi)
            text_index = r.randrange(len(FEEDBACK_TEXTS[kind]))
            items.append(
                {
                    "account_id": p.number,
                    "contact_id": contacts[r.randrange(len(contacts))],
                    "kind": kind,
                    "status": _feedback_status(r, (ctx.cal.today - created.date()).days, kind),
                    "source": r.choice(("csm", "in_app", "email", "survey")),
                    "product_area": feature.name,
                    "text": FEEDBACK_TEXTS[kind][text_index].format(area=feature.name),
                    "tags": list(FEEDBACK_TAGS[kind][text_index]),
                    "external_id": None,
                    "created_at": created,
                }
            )
        items.sort(key=lambda row: row["created_at"])
        for row in items:
            fid += 1
            row["id"] = fid
            text = row["text"]
            # Not setdefault(text, text_sentiment(text)): that scores every row, the
            # default being evaluated before the lookup (VADER, ~60 µs a text).
            score = _scores.get(text)
            if score is None:
                score = _scores[text] = text_sentiment(text)
            row["sentiment"] = score
            yield row
