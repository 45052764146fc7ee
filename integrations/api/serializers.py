"""Shape of a support ticket on the REST API (read only)."""

from __future__ import annotations

from rest_framework import serializers

from integrations.models import SupportTicket


class SupportTicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupportTicket
        fields = [
            "id", "account", "contact", "connection", "external_id", "subject", "description",
            "status", "priority", "channel", "assignee", "tags", "opened_at",
            "first_response_at", "resolved_at", "sla_first_response_minutes",
            "sla_resolution_minutes", "sla_breached", "satisfaction", "source_updated_at",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields
