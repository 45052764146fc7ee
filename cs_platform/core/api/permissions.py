"""Who may call the resource API, the Actor every view hands to selectors/services, and
the scoped base viewset (list/detail/input/bulk helpers) the resource views share.

Reads need the `read` scope (a `write` token reads too); writes need the `write` scope
and a role that writes (viewers never do). Object scope is not decided here: selectors
start from `account_list_for_actor(actor)`, so REST cannot see more than MCP or admin.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from cs_platform.core import clock
from cs_platform.core.actors import Actor, actor_for_user
from cs_platform.core.api.filters import QueryFilter, QueryParamFilterBackend
from cs_platform.core.api.pagination import KeysetPagination
from cs_platform.core.errors import InvalidInput, NotFound, PermissionDenied, field_error
from cs_platform.core.models import ApiToken, Role


class ActorScopePermission(BasePermission):
    """Token scope + role check; attaches `request.actor` (channel "rest")."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF answers 401 with the authenticator's challenge
        token = request.auth if isinstance(request.auth, ApiToken) else None
        actor = actor_for_user(user, channel="rest", token=token)
        request.actor = actor
        if request.method in SAFE_METHODS:
            if not actor.can_read():
                raise PermissionDenied(
                    "this token has no read scope", details={"required_scope": "read"}
                )
            return True
        if actor.role == Role.VIEWER and not user.is_superuser:
            raise PermissionDenied("viewers have read-only access", details={"role": actor.role})
        if not actor.can_write():
            raise PermissionDenied(
                "this token lacks the write scope", details={"required_scope": "write"}
            )
        return True


def request_actor(request: Request) -> Actor:
    """The Actor `ActorScopePermission` attached; views must not build their own."""
    actor = getattr(request, "actor", None)
    if actor is None:  # a view wired without ActorScopePermission: a programming error
        raise RuntimeError("ActorScopePermission did not run for this view")
    return actor


class ScopedReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List + detail over an actor-scoped queryset, filtered and keyset-paginated.

    Subclasses set `serializer_class`, `query_filters`, `keyset_ordering`, and implement
    `scoped_queryset(actor)` with a selector that starts from `account_list_for_actor`.
    """

    permission_classes = [ActorScopePermission]
    pagination_class = KeysetPagination
    filter_backends = [QueryParamFilterBackend]
    query_filters: tuple[QueryFilter, ...] = ()
    keyset_ordering: tuple[str, ...] = ("id",)
    resource_label = "object"

    @property
    def actor(self) -> Actor:
        return request_actor(self.request)

    def scoped_queryset(self, actor: Actor) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no actor
            return self.serializer_class.Meta.model.objects.none()
        return self.scoped_queryset(self.actor)

    def get_object(self) -> Model:
        raw = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        found = raw.isdigit() and len(raw) <= 18  # beyond bigint is simply not an id
        obj = self.get_queryset().filter(pk=int(raw)).first() if found else None
        if obj is None:
            # Out of scope reads exactly like missing: a CSM cannot probe another book.
            raise NotFound(f"{self.resource_label} {raw} not found", details={"id": raw})
        self.check_object_permissions(self.request, obj)
        return obj

    def validated_input(
        self, serializer_class: type[serializers.Serializer], *, partial: bool = False
    ) -> dict[str, Any]:
        """The request body checked by `serializer_class`; unknown fields are errors, as
        in the tool contracts, so a misspelt field is not silently dropped."""
        data = self.request.data
        if not isinstance(data, dict):
            raise field_error("body", "must be a JSON object")
        known = serializer_class().fields
        unknown = sorted(k for k in data if k not in known or known[k].read_only)
        if unknown:
            raise InvalidInput(
                f"unknown fields: {', '.join(unknown)}",
                details={"errors": [{"field": k, "message": "unknown field"} for k in unknown]},
            )
        serializer = serializer_class(data=data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def bulk_rows(self) -> Any:
        """`rows` of a `{"rows": [...]}` bulk body (each row is validated by the service)."""
        data = self.request.data
        if not isinstance(data, dict) or set(data) != {"rows"}:
            raise field_error("rows", 'the body must be {"rows": [...]} and nothing else')
        return data["rows"]


def bulk_response(results: list[dict[str, Any]]) -> Response:
    """200 with one result per row and the counts; the request succeeded even when some
    rows did not, and the caller reads each row's status."""
    counts = {s: 0 for s in ("created", "updated", "unchanged", "error")}
    for result in results:
        counts[result["status"]] += 1
    return Response({"counts": counts, "results": results, "as_of": clock.now().isoformat()})
