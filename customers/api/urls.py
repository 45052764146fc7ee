"""The customers resources under `/api/v1/` (mounted by cs_platform/urls.py)."""

from rest_framework.routers import SimpleRouter

from customers.api.views import AccountViewSet, ContactViewSet, ContractViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("contracts", ContractViewSet, basename="contract")

urlpatterns = router.urls
