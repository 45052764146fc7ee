"""The `/api/v1/` resource router (mounted by cs_platform/urls.py).

`POST /api/v1/tools/<name>/` is mounted separately from
`cs_platform.core.api.tool_views.tool_urlpatterns()`, ahead of this router.
"""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from customers.api.views import AccountViewSet, ContactViewSet, ContractViewSet
from health.api.views import FeedbackViewSet, SurveyResponseViewSet, UsageViewSet
from integrations.api.views import SupportTicketViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("contracts", ContractViewSet, basename="contract")
router.register("usage", UsageViewSet, basename="usage")
router.register("tickets", SupportTicketViewSet, basename="ticket")
router.register("survey-responses", SurveyResponseViewSet, basename="survey-response")
router.register("feedback", FeedbackViewSet, basename="feedback")

urlpatterns = router.urls
