"""Who may read the API's description (a module of its own: drf-spectacular imports it
while its views module is still loading)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class ApiDocsPermission(BasePermission):
    """`/api/schema/`, `/api/docs/` and `/api/redoc/`: open to anyone while
    `API_DOCS_PUBLIC` is on (the default: they describe the API, no data), otherwise to
    signed-in callers only (an admin session in a browser, or an API token)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return settings.API_DOCS_PUBLIC or bool(request.user and request.user.is_authenticated)
