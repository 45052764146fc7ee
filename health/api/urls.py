"""The health resources under `/api/v1/` (mounted by cs_platform/urls.py)."""

from rest_framework.routers import SimpleRouter

from health.api.views import FeedbackViewSet, SurveyResponseViewSet, UsageViewSet

router = SimpleRouter()
router.register("usage", UsageViewSet, basename="usage")
router.register("survey-responses", SurveyResponseViewSet, basename="survey-response")
router.register("feedback", FeedbackViewSet, basename="feedback")

urlpatterns = router.urls
