"""collect_feedback, analyze_feedback_sentiment, manage_voice_of_customer,
share_product_insights and track_cs_metrics on real rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from cs_platform.core import clock
from cs_platform.core.errors import InvalidInput
from customers.models import CTA, OnboardingPlan, Renewal
from health.models import Feedback, ProductInsight, Survey, SurveyResponse
from tests.builders import call_tool

pytestmark = pytest.mark.django_db

PRAISE = "The new dashboard is great, thanks!"  # VADER compound 0.807
ANGRY = "Exports keep failing and support is terrible."  # −0.572
REQUEST = "Please add scheduled exports."  # 0.318
WORSE = "Exports are slow and broken again, very frustrating."  # −0.743


def give(user, account, kind, text, **kw):
    payload = {"action": "create", "account_id": account.pk, "kind": kind, "text": text, **kw}
    return call_tool(user, "collect_feedback", payload)["feedback"][0]


@pytest.fixture
def voices(two_books, staff):
    acme, csm1 = two_books["acme"], staff["csm1"]
    return {
        "praise": give(csm1, acme, "praise", PRAISE, tags=["Dashboards"]),
        "angry": give(csm1, acme, "complaint", ANGRY, tags=["exports", "support"]),
        "request": give(csm1, acme, "feature_request", REQUEST, tags=["exports"]),
    }


def test_collect_scores_sentiment_with_vader_and_stores_tags(voices, two_books, staff):
    assert voices["praise"]["sentiment"] == 0.807
    assert voices["praise"]["sentiment_label"] == "positive"
    assert voices["praise"]["tags"] == ["dashboards"]
    assert voices["angry"]["sentiment"] == -0.572
    assert Feedback.objects.get(pk=voices["angry"]["id"]).sentiment == -0.572
    listed = call_tool(staff["csm1"], "collect_feedback", {"action": "list", "kind": "complaint"})
    assert [f["id"] for f in listed["feedback"]] == [voices["angry"]["id"]]


def test_collect_bad_input_names_the_field_and_writes_nothing(two_books, staff):
    acme, bob = two_books["acme"], two_books["bob"]
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm1"],
            "collect_feedback",
            {"action": "create", "account_id": acme.pk, "kind": "bug"},
        )
    assert err.value.details["errors"][0]["field"] == "text"
    with pytest.raises(InvalidInput) as err:
        give(staff["csm1"], acme, "bug", "Broken", contact_id=bob.pk)
    assert err.value.details["errors"][0]["field"] == "contact"
    with pytest.raises(InvalidInput) as err:
        give(staff["csm1"], acme, "rant", "Broken")
    assert err.value.details["errors"][0]["field"] == "kind"
    assert Feedback.objects.count() == 0


def test_sentiment_analysis_counts_themes_and_worst_items(voices, two_books, staff):
    out = call_tool(staff["csm1"], "analyze_feedback_sentiment", {"days": 30})
    assert (out["feedback"], out["positive"], out["neutral"], out["negative"]) == (3, 2, 0, 1)
    assert out["average"] == round((0.807 - 0.572 + 0.318) / 3, 3)
    themes = {t["key"]: (t["count"], t["average"], t["negative_pct"]) for t in out["themes"]}
    assert themes["exports"] == (2, round((-0.572 + 0.318) / 2, 3), 50.0)
    assert [n["id"] for n in out["most_negative"]] == [voices["angry"]["id"]]
    # Different data, different answer: another complaint, and a row without a score.
    give(staff["csm1"], two_books["acme"], "complaint", WORSE, tags=["exports"])
    Feedback.objects.create(
        account=two_books["acme"],
        kind="praise",
        text="Love the new reports!",
        created_at=clock.now(),
    )
    again = call_tool(staff["csm1"], "analyze_feedback_sentiment", {"days": 30})
    assert again["feedback"] == 5 and again["scored_now"] == 1 and again["negative"] == 2
    assert again["most_negative"][0]["sentiment"] == -0.743
    assert {t["key"]: t["count"] for t in again["themes"]}["exports"] == 3


def test_voice_of_customer_summary_and_triage(voices, two_books, staff):
    acme = two_books["acme"]
    nps = Survey.objects.create(key="nps", name="NPS", kind="nps", question="Recommend?")
    for score in (10, 9, 3):
        SurveyResponse.objects.create(
            survey=nps,
            kind="nps",
            account=acme,
            score=score,
            responded_at=clock.now() - timedelta(days=2),
        )
    out = call_tool(
        staff["csm1"], "manage_voice_of_customer", {"action": "summary", "account_id": acme.pk}
    )
    s = out["summary"]
    assert s["nps"] == 33.3 and s["nps_responses"] == 3
    assert s["feedback"] == 3 and s["by_kind"] == {
        "complaint": 1,
        "feature_request": 1,
        "praise": 1,
    }
    assert s["open_feature_requests"] == 1 and s["feedback_in_insights"] == 0
    tri = call_tool(
        staff["csm1"],
        "manage_voice_of_customer",
        {"action": "triage", "feedback_id": voices["request"]["id"], "status": "declined"},
    )
    assert tri["changed"] == ["status"]
    s = call_tool(
        staff["csm1"], "manage_voice_of_customer", {"action": "summary", "account_id": acme.pk}
    )["summary"]
    assert s["open_feature_requests"] == 0 and s["by_status"]["declined"] == 1
    with pytest.raises(InvalidInput) as err:
        call_tool(staff["csm1"], "manage_voice_of_customer", {"action": "triage"})
    assert err.value.details["errors"][0]["field"] == "feedback_id"


def test_insights_link_feedback_and_answer_their_evidence(voices, two_books, staff):
    acme, globex = two_books["acme"], two_books["globex"]
    acme.arr_reporting = Decimal("50000.00")
    acme.save(update_fields=["arr_reporting"])
    ids = [voices["angry"]["id"], voices["request"]["id"]]
    out = call_tool(
        staff["csm1"],
        "share_product_insights",
        {
            "action": "create",
            "title": "Exports hurt",
            "summary": "Two asks.",
            "shared_with": "Reporting squad",
            "product_area": "Exports",
            "feedback_ids": ids,
        },
    )
    ins = out["insights"][0]
    assert (ins["feedback_count"], ins["accounts"], ins["arr_reporting"]) == (2, 1, "50000.00")
    assert ins["kinds"] == {"complaint": 1, "feature_request": 1}
    assert ins["average_sentiment"] == round((-0.572 + 0.318) / 2, 3)
    assert ins["feedback_ids"] == sorted(ids) and ins["created_by"] == "csm1"
    theirs = Feedback.objects.create(account=globex, kind="bug", text="x", created_at=clock.now())
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm1"],
            "share_product_insights",
            {"action": "update", "insight_id": ins["id"], "feedback_ids": [theirs.pk]},
        )
    assert err.value.details["errors"][0]["field"] == "feedback_ids"
    assert ProductInsight.objects.get().feedback.count() == 2
    upd = call_tool(
        staff["csm1"],
        "share_product_insights",
        {
            "action": "update",
            "insight_id": ins["id"],
            "status": "planned",
            "feedback_ids": [voices["praise"]["id"]],
        },
    )
    assert upd["changed"] == ["feedback", "status"] and upd["insights"][0]["feedback_count"] == 3
    vo = call_tool(staff["csm1"], "manage_voice_of_customer", {"action": "summary"})
    assert vo["summary"]["feedback_in_insights"] == 3


@pytest.mark.date_sensitive
def test_cs_metrics_series_from_renewals_plans_surveys_and_ctas(two_books, staff):
    acme = two_books["acme"]
    today = clock.today()
    args = {"account_id": acme.pk, "months": 3}
    empty = call_tool(staff["csm1"], "track_cs_metrics", args)["series"][-1]
    assert empty["grr_pct"] is None and empty["renewals_closed"] == 0
    for current, outcome, after in (
        (Decimal(100), "expanded", Decimal(120)),
        (Decimal(50), "churned", None),
    ):
        Renewal.objects.create(
            account=acme,
            renewal_date=today,
            current_arr=current,
            outcome=outcome,
            outcome_arr=after,
            closed_on=today,
            stage="closed",
        )
    OnboardingPlan.objects.create(
        account=acme,
        template="standard",
        status="completed",
        started_on=today - timedelta(days=20),
        completed_on=today,
    )
    CTA.objects.create(account=acme, reason="manual", title="a", source="manual")
    CTA.objects.create(
        account=acme,
        reason="usage_drop",
        title="b",
        source="manual",
        status="done",
        closed_at=clock.now(),
    )
    month = call_tool(staff["csm1"], "track_cs_metrics", args)["series"][-1]
    assert month["renewals_closed"] == 2 and month["prior_arr_reporting"] == "150.00"
    assert (month["grr_pct"], month["nrr_pct"], month["logo_churn_pct"]) == (66.7, 80.0, 50.0)
    assert month["plans_completed"] == 1 and month["ttv_days_median"] == 20.0
    assert (month["ctas_opened"], month["ctas_closed"], month["cta_closure_pct"]) == (2, 1, 50.0)
