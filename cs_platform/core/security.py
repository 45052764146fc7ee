"""HTTP middleware for the edge of the app: probes first, and a Content-Security-Policy.

Django 5.2 has no built-in CSP (it arrives in 6.0), hence the small middleware here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from cs_platform.core import views as core_views

CSP_HEADER = "Content-Security-Policy"

_PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": core_views.healthz,
    "/readyz": core_views.readyz,
}


class ProbeMiddleware:
    """Answer ``GET /healthz`` and ``GET /readyz`` before any other middleware runs.

    Orchestrators probe a container by its IP over plain HTTP. Further down, host
    validation (ALLOWED_HOSTS names the public host, not the pod IP) and the HTTPS
    redirect would turn every probe into a 400 or a 301, and the container would be
    marked unhealthy while it is fine. The probes build no URLs from the Host header,
    so skipping host validation for them is safe.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = _PROBES.get(request.path_info)
        if probe is not None and request.method == "GET":
            return probe(request)
        return self.get_response(request)


def csp_policy_for_path(path: str, default: str, by_prefix: dict[str, str]) -> str:
    """The policy for ``path``: the longest matching prefix with a policy, else default."""
    for prefix in sorted(by_prefix, key=len, reverse=True):
        if by_prefix[prefix] and path.startswith(prefix):
            return by_prefix[prefix]
    return default


class ContentSecurityPolicyMiddleware:
    """Add ``Content-Security-Policy`` from settings to responses that have none.

    ``CONTENT_SECURITY_POLICY`` is the default; ``CONTENT_SECURITY_POLICY_PATHS`` maps
    path prefixes to their own policy (an empty one falls back to the default; an empty
    default sends no header, as the base settings have it). A view that sets the header
    itself keeps its own. Settings are read per request, so tests (the browser tests run
    the production policies on a live server) can switch them on.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if CSP_HEADER not in response:
            policy = csp_policy_for_path(
                request.path_info,
                getattr(settings, "CONTENT_SECURITY_POLICY", ""),
                getattr(settings, "CONTENT_SECURITY_POLICY_PATHS", {}),
            )
            if policy:
                response[CSP_HEADER] = policy
        return response
