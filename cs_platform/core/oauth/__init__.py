"""OAuth 2.1 sign-in for MCP clients on /mcp (django-oauth-toolkit), beside API tokens.

An MCP client that gets a 401 from /mcp follows `WWW-Authenticate` to the protected-resource
metadata (RFC 9728), then the authorization-server metadata (RFC 8414), registers itself
(RFC 7591, open and rate-limited), sends the user through the consent screen (a staff
sign-in, then the scopes named) with PKCE (S256, required), and exchanges the code for an
access token. The token carries the user: each call is that user's `Actor` (role and book
by `account_list_for_actor`), narrowed to the granted scopes exactly as an API token's.
"""
