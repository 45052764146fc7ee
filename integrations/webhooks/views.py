"""The webhook edge: ``POST /webhooks/<provider>/<connection_id>/``.

No session or CSRF (providers sign instead). Order matters: the connection is looked
up, the signature over the raw body is verified, and only then is anything parsed or
stored. A request that fails verification gets 401 and leaves no row behind; the
reason goes to our log, not to the caller.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cs_platform.core import clock
from integrations.models import Connection
from integrations.webhooks.inbox import webhook_delivery_store
from integrations.webhooks.parse import PARSERS, PayloadInvalid
from integrations.webhooks.verify import (
    DEFAULT_TOLERANCE_SECONDS,
    INTERCOM_SIGNATURE_HEADER,
    SENDGRID_SIGNATURE_HEADER,
    SENDGRID_TIMESTAMP_HEADER,
    ZENDESK_SIGNATURE_HEADER,
    ZENDESK_TIMESTAMP_HEADER,
    SignatureInvalid,
    intercom_signature_verify,
    sendgrid_signature_verify,
    zendesk_signature_verify,
)

logger = logging.getLogger(__name__)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def _credentials(connection: Connection) -> dict[str, Any]:
    # The encryption library hands back ciphertext (a str) when the keys cannot decrypt.
    credentials = connection.credentials
    if not isinstance(credentials, dict):
        raise SignatureInvalid("connection credentials cannot be decrypted")
    return credentials


def request_signature_verify(connection: Connection, request: HttpRequest) -> None:
    """Raise ``SignatureInvalid`` unless ``request`` is signed for ``connection``."""
    body, headers, now = request.body, request.headers, clock.now()
    tolerance = getattr(settings, "WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS", DEFAULT_TOLERANCE_SECONDS)
    if connection.provider == "intercom":
        # Intercom signs with the app's client secret; webhook_secret is where it lives,
        # credentials["client_secret"] is accepted for connections set up with it there.
        secret = connection.webhook_secret or _credentials(connection).get("client_secret", "")
        intercom_signature_verify(
            body=body, header=headers.get(INTERCOM_SIGNATURE_HEADER), secret=str(secret)
        )
    elif connection.provider == "sendgrid":
        sendgrid_signature_verify(
            body=body,
            signature=headers.get(SENDGRID_SIGNATURE_HEADER),
            timestamp=headers.get(SENDGRID_TIMESTAMP_HEADER),
            public_key_b64=str(_credentials(connection).get("webhook_public_key") or ""),
            now=now,
            tolerance=tolerance,
        )
    elif connection.provider == "zendesk":
        zendesk_signature_verify(
            body=body,
            signature=headers.get(ZENDESK_SIGNATURE_HEADER),
            timestamp=headers.get(ZENDESK_TIMESTAMP_HEADER),
            secret=connection.webhook_secret or "",
            now=now,
            tolerance=tolerance,
        )
    else:
        raise SignatureInvalid(f"{connection.provider} sends no webhooks we accept")


@csrf_exempt
@require_POST
def webhook_receive(request: HttpRequest, provider: str, connection_id: int) -> JsonResponse:
    connection = Connection.objects.filter(
        pk=connection_id, provider=provider, enabled=True
    ).first()
    if connection is None or provider not in PARSERS:
        return _error(404, "not_found", "no webhook endpoint here")
    try:
        request_signature_verify(connection, request)
    except SignatureInvalid as exc:
        logger.warning(
            "rejected %s webhook for connection %s: %s", provider, connection_id, exc.reason
        )
        return _error(401, "signature_invalid", "the request signature could not be verified")
    try:
        items = PARSERS[provider](request.body)
    except PayloadInvalid as exc:
        return _error(400, "invalid_payload", str(exc))
    result = webhook_delivery_store(connection=connection, items=items, now=clock.now())
    return JsonResponse(result.as_dict(), status=200)
