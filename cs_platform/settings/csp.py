"""The default Content-Security-Policies production serves (``DJANGO_CSP`` and
``DJANGO_CSP_API_DOCS`` override them). Kept apart from ``production.py`` so tests can
apply the same policies to a live server without the production start-up checks.

Nothing on any page loads from another origin: the admin has no inline code at all, and
the API docs (Swagger UI, ReDoc) come from drf-spectacular-sidecar's static files.
"""

DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# Swagger UI and ReDoc set style attributes and inject <style> elements at run time, and
# ReDoc runs its search index in a worker started from a blob: URL. Scripts stay 'self'
# only: Swagger UI's start-up code is a separate script (SpectacularSwaggerSplitView).
API_DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

API_DOCS_PATHS = ("/api/docs/", "/api/redoc/")
