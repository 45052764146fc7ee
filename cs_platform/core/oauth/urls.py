"""OAuth endpoints: the two metadata documents at the origin's /.well-known/ (RFC 8414,
RFC 9728, also under /mcp's path), and under /o/ the consent screen, token, revocation
and client registration. The toolkit's application-management, device and OpenID pages
are not served. Named in the toolkit's namespace, which its views reverse."""

from django.urls import path
from oauth2_provider import views as toolkit

from cs_platform.core.oauth.views import ClientRegistrationView, ConsentView

app_name = "oauth2_provider"

urlpatterns = [
    path(
        ".well-known/oauth-authorization-server",
        toolkit.OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
    path(
        ".well-known/oauth-protected-resource",
        toolkit.OAuthProtectedResourceMetadataView.as_view(),
        name="oauth-resource-metadata",
    ),
    path(
        ".well-known/oauth-protected-resource/<path:resource_path>",
        toolkit.OAuthProtectedResourceMetadataView.as_view(),
        name="oauth-resource-metadata-path",
    ),
    path("o/authorize/", ConsentView.as_view(), name="authorize"),
    path("o/token/", toolkit.TokenView.as_view(), name="token"),
    path("o/revoke_token/", toolkit.RevokeTokenView.as_view(), name="revoke-token"),
    path("o/register/", ClientRegistrationView.as_view(), name="dcr-register"),
    path(
        "o/register/<str:client_id>/",
        toolkit.DynamicClientRegistrationManagementView.as_view(),
        name="dcr-register-management",
    ),
]
