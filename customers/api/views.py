"""`/api/v1/accounts/`, `/contacts/` (+ `/contacts/bulk/`) and `/contracts/`.

Accounts are read here; they are created and changed through the `register_client` and
`update_client_info` tools (`POST /api/v1/tools/<name>/`), which own that validation.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cs_platform.core.actors import Actor
from cs_platform.core.api import filters as f
from cs_platform.core.api.permissions import ScopedReadViewSet, bulk_response
from customers.api.serializers import (
    AccountSerializer,
    ContactBulkRequestSerializer,
    ContactBulkResponseSerializer,
    ContactCreateSerializer,
    ContactSerializer,
    ContactUpdateSerializer,
    ContractSerializer,
)
from customers.models import AccountStatus, ContactRole, ContractStatus, LifecycleStage, Tier
from customers.selectors.resources import (
    account_list_for_api,
    contact_list_for_actor,
    contract_list_for_actor,
)
from customers.services.contacts import contact_bulk_upsert, contact_create, contact_update

ACCOUNT_FILTER = f.QueryFilter(
    "account", f.integer(), "account_id", "Only rows of this account id."
)


def _name_search(qs: QuerySet, value: str) -> QuerySet:
    return qs.filter(Q(name__icontains=value) | Q(domain__icontains=value))


@extend_schema_view(
    list=extend_schema(summary="List accounts in your book", tags=["accounts"]),
    retrieve=extend_schema(summary="One account", tags=["accounts"]),
)
class AccountViewSet(ScopedReadViewSet):
    serializer_class = AccountSerializer
    resource_label = "account"
    query_filters = (
        f.QueryFilter("tier", f.choice(Tier), description="Account tier."),
        f.QueryFilter("lifecycle_stage", f.choice(LifecycleStage), description="Stage."),
        f.QueryFilter("status", f.choice(AccountStatus), description="Account status."),
        f.QueryFilter("owner", f.integer(), "owner_id", "Owner (CSM) user id."),
        f.QueryFilter("q", f.text(100), description="Name or domain contains.", apply=_name_search),
        f.QueryFilter("updated_since", f.iso_datetime(), "updated_at__gte", "Changed at or after."),
    )

    def scoped_queryset(self, actor: Actor) -> QuerySet:
        return account_list_for_api(actor)


@extend_schema_view(
    list=extend_schema(summary="List contacts", tags=["contacts"]),
    retrieve=extend_schema(summary="One contact", tags=["contacts"]),
)
class ContactViewSet(ScopedReadViewSet):
    serializer_class = ContactSerializer
    resource_label = "contact"
    http_method_names = ["get", "post", "patch", "head", "options"]
    query_filters = (
        ACCOUNT_FILTER,
        f.QueryFilter("email", f.email(), "email", "Exact e-mail address."),
        f.QueryFilter("role", f.choice(ContactRole), description="Contact role."),
    )

    def scoped_queryset(self, actor: Actor) -> QuerySet:
        return contact_list_for_actor(actor)

    @extend_schema(
        summary="Add a contact to an account",
        tags=["contacts"],
        request=ContactCreateSerializer,
        responses={201: ContactSerializer, 409: OpenApiResponse(description="conflict")},
    )
    def create(self, request: Request) -> Response:
        data = self.validated_input(ContactCreateSerializer)
        contact = contact_create(actor=self.actor, account_id=data.pop("account"), **data)
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a contact",
        tags=["contacts"],
        request=ContactUpdateSerializer,
        responses={200: ContactSerializer, 409: OpenApiResponse(description="conflict")},
    )
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        contact = self.get_object()
        changes = self.validated_input(ContactUpdateSerializer, partial=True)
        contact_update(actor=self.actor, contact=contact, changes=changes)
        return Response(ContactSerializer(contact).data)

    @extend_schema(
        summary="Upsert up to 5,000 contacts by external_id",
        description=(
            "Idempotent: rows are matched on `external_id`. Every row gets a result "
            "(`created`, `updated`, `unchanged` or `error` with the fields at fault); bad "
            "rows are skipped and good rows stored. An absent optional field keeps the "
            "stored value; null clears a text field."
        ),
        tags=["contacts"],
        request=ContactBulkRequestSerializer,
        responses={200: ContactBulkResponseSerializer},
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request: Request) -> Response:
        return bulk_response(contact_bulk_upsert(actor=self.actor, rows=self.bulk_rows()))


@extend_schema_view(
    list=extend_schema(summary="List contracts", tags=["contracts"]),
    retrieve=extend_schema(summary="One contract", tags=["contracts"]),
)
class ContractViewSet(ScopedReadViewSet):
    serializer_class = ContractSerializer
    resource_label = "contract"
    query_filters = (
        ACCOUNT_FILTER,
        f.QueryFilter("status", f.choice(ContractStatus), description="Contract status."),
        f.QueryFilter(
            "ending_before", f.iso_date(), "end_date__lte", "Ends on or before this date."
        ),
    )

    def scoped_queryset(self, actor: Actor) -> QuerySet:
        return contract_list_for_actor(actor)
