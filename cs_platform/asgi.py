import os

from django.core.asgi import get_asgi_application

from cs_platform.core.telemetry.tracing import tracing_configure_from_env

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")
tracing_configure_from_env(default_service="cs-platform-web")
application = get_asgi_application()
