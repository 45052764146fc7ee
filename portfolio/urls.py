"""The CS workspace's pages, mounted under /admin/ before the admin's own URLs (so the
dashboard is the admin index)."""

from django.contrib import admin
from django.urls import path

from portfolio.admin.views import dashboard_view, my_day_view, sync_run_view, sync_trigger_view

urlpatterns = [
    path("", admin.site.admin_view(dashboard_view), name="cs-dashboard"),
    path("workspace/my-day/", admin.site.admin_view(my_day_view), name="cs-my-day"),
    path(
        "workspace/sync/<int:connection_id>/",
        admin.site.admin_view(sync_trigger_view),
        name="cs-sync-trigger",
    ),
    path(
        "workspace/sync-runs/<int:run_id>/",
        admin.site.admin_view(sync_run_view),
        name="cs-sync-run",
    ),
]
