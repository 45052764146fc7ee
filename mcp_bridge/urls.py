from django.urls import path

from mcp_bridge.views import McpView

urlpatterns = [path("mcp", McpView.as_view(), name="mcp")]
