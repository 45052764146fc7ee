import os

from django.core.wsgi import get_wsgi_application

from cs_platform.core.telemetry.tracing import tracing_configure_from_env

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")
# Before the handler is built (the Django instrumentation adds its middleware), and in
# each gunicorn worker after the fork (the app is not preloaded in the master).
tracing_configure_from_env(default_service="cs-platform-web")
application = get_wsgi_application()
