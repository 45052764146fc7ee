"""Webhook signature checks, one per provider. Pure: no ORM, no I/O.

Each function returns nothing when the request is authentic and raises
``SignatureInvalid`` (with a reason for our logs, never for the caller) otherwise.
Comparisons are constant-time; timestamps outside the tolerance are refused, which
stops a captured request being replayed later (the inbox stops replays inside it).

- Intercom: ``X-Hub-Signature: sha1=<hex HMAC-SHA1(raw body, key = client secret)>``.
- SendGrid: ECDSA P-256 / SHA-256 over ``timestamp + raw body``; the signature is base64
  DER, the verification key base64 DER SubjectPublicKeyInfo (shown in SendGrid's
  settings, stored as ``credentials["webhook_public_key"]``); the timestamp is Unix
  seconds.
- Zendesk: ``base64(HMAC-SHA256(timestamp + raw body, key = signing secret))`` in
  ``X-Zendesk-Webhook-Signature``; the timestamp (ISO 8601, e.g. ``2024-04-17T17:18:10Z``)
  in ``X-Zendesk-Webhook-Signature-Timestamp``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

INTERCOM_SIGNATURE_HEADER = "X-Hub-Signature"
SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
ZENDESK_SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
ZENDESK_TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"

DEFAULT_TOLERANCE_SECONDS = 600


class SignatureInvalid(Exception):
    """The request is not provably from the provider; ``reason`` is for logs only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _check_age(signed_at: datetime, now: datetime, tolerance: int) -> None:
    age = (now - signed_at).total_seconds()
    if abs(age) > tolerance:
        raise SignatureInvalid(f"timestamp {signed_at.isoformat()} is {age:.0f}s from now")


def intercom_signature_verify(*, body: bytes, header: str | None, secret: str) -> None:
    if not secret:
        raise SignatureInvalid("the connection has no webhook secret")
    if not header:
        raise SignatureInvalid(f"missing {INTERCOM_SIGNATURE_HEADER}")
    algorithm, _, received = header.strip().partition("=")
    if algorithm.lower() != "sha1" or not received:
        raise SignatureInvalid("signature is not sha1=<hex>")
    expected = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    if not hmac.compare_digest(expected.encode(), received.strip().lower().encode()):
        raise SignatureInvalid("HMAC-SHA1 mismatch")


def _sendgrid_key(public_key_b64: str) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_der_public_key(base64.b64decode(public_key_b64, validate=True))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise SignatureInvalid(f"stored SendGrid public key is unreadable: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise SignatureInvalid("stored SendGrid public key is not an EC key")
    return key


def sendgrid_signature_verify(
    *,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    public_key_b64: str,
    now: datetime,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    if not public_key_b64:
        raise SignatureInvalid("the connection has no webhook_public_key")
    if not signature or not timestamp:
        raise SignatureInvalid("missing signature or timestamp header")
    try:
        signed_at = datetime.fromtimestamp(int(timestamp.strip()), UTC)
        der = base64.b64decode(signature.strip(), validate=True)
    except (ValueError, OverflowError, OSError, binascii.Error):
        raise SignatureInvalid("malformed signature or timestamp") from None
    key = _sendgrid_key(public_key_b64)
    try:
        key.verify(der, timestamp.strip().encode() + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        raise SignatureInvalid("ECDSA signature does not verify") from None
    # Checked after the signature so a forged header cannot learn our tolerance.
    _check_age(signed_at, now, tolerance)


def _zendesk_time(value: str) -> datetime:
    text = value.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def zendesk_signature_verify(
    *,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    secret: str,
    now: datetime,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    if not secret:
        raise SignatureInvalid("the connection has no webhook secret")
    if not signature or not timestamp:
        raise SignatureInvalid("missing signature or timestamp header")
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureInvalid("HMAC-SHA256 mismatch")
    try:
        signed_at = _zendesk_time(timestamp)
    except (ValueError, OverflowError, OSError):
        raise SignatureInvalid("malformed timestamp") from None
    _check_age(signed_at, now, tolerance)
