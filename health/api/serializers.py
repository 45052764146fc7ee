"""Shapes of usage rows, survey responses and feedback on the REST API."""

from __future__ import annotations

from rest_framework import serializers

from customers.api.serializers import BulkCountsSerializer, RowErrorSerializer
from health.models import (
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    SurveyResponse,
    UsageDaily,
)
from health.services.usage_ingest import MAX_BULK_ROWS, MAX_COUNT


class UsageDailySerializer(serializers.ModelSerializer):
    class Meta:
        model = UsageDaily
        fields = ["id", "account", "date", "active_users", "sessions", "events", "minutes"]
        fields += ["source"]
        read_only_fields = fields


class SurveyResponseSerializer(serializers.ModelSerializer):
    survey_key = serializers.CharField(source="survey.key", read_only=True)

    class Meta:
        model = SurveyResponse
        fields = [
            "id", "survey", "survey_key", "kind", "account", "contact", "score", "comment",
            "responded_at", "source", "external_id",
        ]  # fmt: skip
        read_only_fields = fields


class SurveyResponseUpdateSerializer(serializers.Serializer):
    score = serializers.IntegerField(required=False, help_text="Raw answer on the scale.")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    contact = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class SurveyResponseCreateSerializer(SurveyResponseUpdateSerializer):
    account = serializers.IntegerField(min_value=1)
    survey = serializers.IntegerField(min_value=1)
    score = serializers.IntegerField(help_text="NPS 0–10, CSAT 1–5, CES 1–7 (the survey's).")
    responded_at = serializers.DateTimeField()
    source = serializers.CharField(required=False, max_length=24)
    external_id = serializers.CharField(required=False, allow_null=True, max_length=100)


class FeedbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Feedback
        fields = [
            "id", "account", "contact", "kind", "status", "source", "product_area", "text",
            "sentiment", "external_id", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class FeedbackUpdateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FeedbackKind.choices, required=False)
    status = serializers.ChoiceField(choices=FeedbackStatus.choices, required=False)
    product_area = serializers.CharField(required=False, allow_blank=True, max_length=80)
    text = serializers.CharField(required=False, max_length=20000)
    sentiment = serializers.FloatField(required=False, allow_null=True, min_value=-1, max_value=1)
    contact = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class FeedbackCreateSerializer(FeedbackUpdateSerializer):
    account = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=FeedbackKind.choices)
    text = serializers.CharField(max_length=20000)
    status = None  # new feedback always starts as `new`
    source = serializers.CharField(required=False, max_length=24)
    external_id = serializers.CharField(required=False, allow_null=True, max_length=100)
    created_at = serializers.DateTimeField(required=False, help_text="Default: now.")


class UsageBulkRowSerializer(serializers.Serializer):
    """Documentation of one usage row; the service validates all rows in one pass."""

    account = serializers.IntegerField(required=False, min_value=1, help_text="Account id.")
    account_external_id = serializers.CharField(
        required=False, max_length=64, help_text="Mixpanel group id, instead of `account`."
    )
    date = serializers.DateField(help_text="The day; not in the future.")
    active_users = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    sessions = serializers.IntegerField(
        min_value=0, max_value=MAX_COUNT, help_text="At least active_users."
    )
    events = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    minutes = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)


class UsageBulkRequestSerializer(serializers.Serializer):
    rows = UsageBulkRowSerializer(many=True, min_length=1, max_length=MAX_BULK_ROWS)


class UsageBulkResultRowSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the row in the request.")
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    errors = RowErrorSerializer(many=True)


class UsageBulkResponseSerializer(serializers.Serializer):
    counts = BulkCountsSerializer()
    results = UsageBulkResultRowSerializer(many=True)
    as_of = serializers.DateTimeField()
