"""The composition root of URLs: core's endpoints, each app's REST resources and webhooks,
the OpenAPI schema and the MCP endpoint."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from cs_platform.core import views as core_views
from cs_platform.core.api.docs import ApiDocsRedocView, ApiDocsSwaggerView, redoc_bundle_view
from cs_platform.core.api.tool_views import tool_urlpatterns
from cs_platform.core.metrics import metrics

urlpatterns = [
    path("", core_views.landing, name="landing"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    # Browsers ask every site for /favicon.ico; the admin's pages name none.
    path("favicon.ico", RedirectView.as_view(url=static("cs_platform/favicon.svg"))),
    # The CS workspace (dashboard as the admin index, my day) before the admin's own pages.
    path("admin/", include("portfolio.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(tool_urlpatterns())),
    # Each app's REST resources; the tool routes above come first.
    path("api/v1/", include("customers.api.urls")),
    path("api/v1/", include("health.api.urls")),
    path("api/v1/", include("integrations.api.urls")),
    path("webhooks/", include("integrations.webhooks.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", ApiDocsSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", ApiDocsRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/redoc/redoc.standalone.js", redoc_bundle_view, name="api-redoc-bundle"),
    # OAuth for MCP clients: /.well-known/ metadata, /o/ consent, token, registration.
    path("", include("cs_platform.core.oauth.urls")),
    # Our own MCP view first: it fixes the package's GET spin (see mcp_bridge.views).
    path("", include("mcp_bridge.urls")),
]
