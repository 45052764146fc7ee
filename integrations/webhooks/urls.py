"""Mounted at ``webhooks/`` by the project's urls: ``/webhooks/<provider>/<connection_id>/``."""

from django.urls import path

from integrations.webhooks import views

urlpatterns = [
    path(
        "<str:provider>/<int:connection_id>/",
        views.webhook_receive,
        name="webhook-receive",
    ),
]
