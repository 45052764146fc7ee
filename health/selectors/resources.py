"""Actor-scoped querysets behind the health REST resources (usage, surveys, feedback).

Each filters on the accounts `account_list_for_actor(actor)` returns, so a CSM's token
reaches only the rows of their own book, as every other channel does.
"""

from __future__ import annotations

from django.db.models import QuerySet

from cs_platform.core.actors import Actor
from customers.selectors import account_list_for_actor
from health.models import Feedback, SurveyResponse, UsageDaily


def usage_list_for_actor(actor: Actor) -> QuerySet[UsageDaily]:
    return UsageDaily.objects.filter(account__in=account_list_for_actor(actor))


def survey_response_list_for_actor(actor: Actor) -> QuerySet[SurveyResponse]:
    qs = SurveyResponse.objects.filter(account__in=account_list_for_actor(actor))
    return qs.select_related("survey")


def feedback_list_for_actor(actor: Actor) -> QuerySet[Feedback]:
    return Feedback.objects.filter(account__in=account_list_for_actor(actor))
