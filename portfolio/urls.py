"""The CS workspace's pages, mounted under /admin/ before the admin's own URLs (so the
dashboard is the admin index)."""

from django.contrib import admin
from django.urls import path

from portfolio.admin.views import dashboard_view

urlpatterns = [
    path("", admin.site.admin_view(dashboard_view), name="cs-dashboard"),
]
