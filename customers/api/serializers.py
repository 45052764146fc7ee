"""Shapes of accounts, contacts and contracts on the REST API (output and input)."""

from __future__ import annotations

from rest_framework import serializers

from customers.models import Account, Contact, ContactRole, Contract
from customers.services.contact_rows import MAX_BULK_ROWS


class AccountSerializer(serializers.ModelSerializer):
    owner_username = serializers.CharField(
        source="owner.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Account
        fields = [
            "id", "name", "domain", "owner", "owner_username", "parent", "tier", "industry",
            "region", "lifecycle_stage", "status", "arr", "currency", "seats_licensed",
            "payment_status", "customer_since", "churned_on", "zendesk_org_id",
            "intercom_company_id", "mixpanel_group_id", "notes", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id", "account", "external_id", "email", "first_name", "last_name", "title",
            "role", "phone", "is_primary", "email_opt_out", "last_seen_at", "erased_at",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ContactUpdateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=ContactRole.choices, required=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    is_primary = serializers.BooleanField(required=False)


class ContactCreateSerializer(ContactUpdateSerializer):
    account = serializers.IntegerField(min_value=1)
    email = serializers.EmailField(max_length=254)
    external_id = serializers.CharField(max_length=100, required=False, allow_null=True)


class ContractSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contract
        fields = [
            "id", "account", "name", "start_date", "end_date", "arr", "currency", "seats",
            "status", "auto_renew", "external_id", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ContactBulkRowSerializer(serializers.Serializer):
    """Documentation of one bulk row; the service validates rows itself (5,000 at once)."""

    external_id = serializers.CharField(max_length=100, help_text="Your id: the upsert key.")
    account = serializers.IntegerField(min_value=1, help_text="Account id, in your book.")
    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=100, required=False, allow_null=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_null=True)
    title = serializers.CharField(max_length=120, required=False, allow_null=True)
    role = serializers.ChoiceField(choices=ContactRole.choices, required=False)
    is_primary = serializers.BooleanField(required=False)


class ContactBulkRequestSerializer(serializers.Serializer):
    rows = ContactBulkRowSerializer(many=True, max_length=MAX_BULK_ROWS, min_length=1)


class RowErrorSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class ContactBulkResultRowSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the row in the request.")
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    id = serializers.IntegerField(required=False, help_text="Contact id (rows without error).")
    errors = RowErrorSerializer(many=True)


class BulkCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    error = serializers.IntegerField()


class ContactBulkResponseSerializer(serializers.Serializer):
    counts = BulkCountsSerializer()
    results = ContactBulkResultRowSerializer(many=True)
    as_of = serializers.DateTimeField()
