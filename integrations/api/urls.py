"""The integrations resources under `/api/v1/` (mounted by cs_platform/urls.py)."""

from rest_framework.routers import SimpleRouter

from integrations.api.views import SupportTicketViewSet

router = SimpleRouter()
router.register("tickets", SupportTicketViewSet, basename="ticket")

urlpatterns = router.urls
