"""`/api/v1/usage/` (+ `/usage/bulk/`), `/survey-responses/` and `/feedback/`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cs_platform.core.actors import Actor
from cs_platform.core.api import filters as f
from cs_platform.core.api.permissions import ScopedReadViewSet, bulk_response
from health.api.serializers import (
    FeedbackCreateSerializer,
    FeedbackSerializer,
    FeedbackUpdateSerializer,
    SurveyResponseCreateSerializer,
    SurveyResponseSerializer,
    SurveyResponseUpdateSerializer,
    UsageBulkRequestSerializer,
    UsageBulkResponseSerializer,
    UsageDailySerializer,
)
from health.models import FeedbackKind, FeedbackStatus, SurveyKind
from health.selectors.resources import (
    feedback_list_for_actor,
    survey_response_list_for_actor,
    usage_list_for_actor,
)
from health.services.usage_ingest import usage_bulk_upsert
from health.services.voice import (
    feedback_create,
    feedback_update,
    survey_response_create,
    survey_response_update,
)

ACCOUNT_FILTER = f.QueryFilter(
    "account", f.integer(), "account_id", "Only rows of this account id."
)
CONFLICT = OpenApiResponse(description="conflict: the external id is already used")


def _with_contact_id(data: dict[str, Any]) -> dict[str, Any]:
    if "contact" in data:
        data["contact_id"] = data.pop("contact")
    return data


@extend_schema_view(
    list=extend_schema(summary="List daily usage rows", tags=["usage"]),
    retrieve=extend_schema(summary="One daily usage row", tags=["usage"]),
)
class UsageViewSet(ScopedReadViewSet):
    serializer_class = UsageDailySerializer
    resource_label = "usage row"
    keyset_ordering = ("date", "id")
    query_filters = (
        ACCOUNT_FILTER,
        f.QueryFilter("date_from", f.iso_date(), "date__gte", "On or after this day."),
        f.QueryFilter("date_to", f.iso_date(), "date__lte", "On or before this day."),
    )

    def scoped_queryset(self, actor: Actor) -> QuerySet:
        return usage_list_for_actor(actor)

    @extend_schema(
        summary="Upsert up to 5,000 daily usage rows",
        description=(
            "Idempotent upsert on (account, date); the account is given by id or by its "
            "Mixpanel group id (`account_external_id`). Every row gets a result "
            "(`created`, `updated`, `unchanged` or `error` with the fields at fault); bad "
            "rows are skipped and good rows stored, so a repeated request changes nothing."
        ),
        tags=["usage"],
        request=UsageBulkRequestSerializer,
        responses={200: UsageBulkResponseSerializer},
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request: Request) -> Response:
        return bulk_response(usage_bulk_upsert(actor=self.actor, rows=self.bulk_rows()))


@extend_schema_view(
    list=extend_schema(summary="List survey responses (NPS, CSAT, CES)", tags=["surveys"]),
    retrieve=extend_schema(summary="One survey response", tags=["surveys"]),
)
class SurveyResponseViewSet(ScopedReadViewSet):
    serializer_class = SurveyResponseSerializer
    resource_label = "survey response"
    http_method_names = ["get", "post", "patch", "head", "options"]
    keyset_ordering = ("-responded_at", "-id")
    query_filters = (
        ACCOUNT_FILTER,
        f.QueryFilter("kind", f.choice(SurveyKind), description="nps, csat or ces."),
        f.QueryFilter("since", f.iso_datetime(), "responded_at__gte", "Answered at or after."),
    )

    def scoped_queryset(self, actor: Actor) -> QuerySet:
        return survey_response_list_for_actor(actor)

    @extend_schema(
        summary="Record a survey answer",
        tags=["surveys"],
        request=SurveyResponseCreateSerializer,
        responses={201: SurveyResponseSerializer, 409: CONFLICT},
    )
    def create(self, request: Request) -> Response:
        data = _with_contact_id(self.validated_input(SurveyResponseCreateSerializer))
        response = survey_response_create(
            actor=self.actor,
            account_id=data.pop("account"),
            survey_id=data.pop("survey"),
            **data,
        )
        return Response(SurveyResponseSerializer(response).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Correct a survey answer",
        tags=["surveys"],
        request=SurveyResponseUpdateSerializer,
        responses={200: SurveyResponseSerializer},
    )
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        response = self.get_object()
        changes = _with_contact_id(
            self.validated_input(SurveyResponseUpdateSerializer, partial=True)
        )
        survey_response_update(actor=self.actor, response=response, changes=changes)
        return Response(SurveyResponseSerializer(response).data)


@extend_schema_view(
    list=extend_schema(summary="List customer feedback", tags=["feedback"]),
    retrieve=extend_schema(summary="One piece of feedback", tags=["feedback"]),
)
class FeedbackViewSet(ScopedReadViewSet):
    serializer_class = FeedbackSerializer
    resource_label = "feedback"
    http_method_names = ["get", "post", "patch", "head", "options"]
    keyset_ordering = ("-created_at", "-id")
    query_filters = (
        ACCOUNT_FILTER,
        f.QueryFilter("kind", f.choice(FeedbackKind), description="Feedback kind."),
        f.QueryFilter("status", f.choice(FeedbackStatus), description="Triage status."),
    )

    def scoped_queryset(self, actor: Actor) -> QuerySet:
        return feedback_list_for_actor(actor)

    @extend_schema(
        summary="Record customer feedback",
        tags=["feedback"],
        request=FeedbackCreateSerializer,
        responses={201: FeedbackSerializer, 409: CONFLICT},
    )
    def create(self, request: Request) -> Response:
        data = _with_contact_id(self.validated_input(FeedbackCreateSerializer))
        feedback = feedback_create(actor=self.actor, account_id=data.pop("account"), **data)
        return Response(FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Triage or correct feedback",
        tags=["feedback"],
        request=FeedbackUpdateSerializer,
        responses={200: FeedbackSerializer},
    )
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        feedback = self.get_object()
        changes = _with_contact_id(self.validated_input(FeedbackUpdateSerializer, partial=True))
        feedback_update(actor=self.actor, feedback=feedback, changes=changes)
        return Response(FeedbackSerializer(feedback).data)
