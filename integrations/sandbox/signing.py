"""How the providers sign their webhooks, as plain functions.

The sandbox uses these to sign what it sends; the platform's webhook receivers verify
with their own code, so a mistake here cannot hide a mistake there.

- Intercom: ``X-Hub-Signature: sha1=<hex HMAC-SHA1 of the raw body, key = client secret>``.
- SendGrid: ECDSA P-256 / SHA-256 over ``timestamp + raw_body``; the signature is base64
  DER in ``X-Twilio-Email-Event-Webhook-Signature``, the timestamp in
  ``X-Twilio-Email-Event-Webhook-Timestamp``; the verification key is shown as base64
  DER SubjectPublicKeyInfo.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cs_platform.core import clock

SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
INTERCOM_SIGNATURE_HEADER = "X-Hub-Signature"

# The order of the P-256 group: a private scalar must lie in [1, n-1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def intercom_signature(body: bytes, client_secret: str) -> str:
    digest = hmac.new(client_secret.encode(), body, hashlib.sha1).hexdigest()
    return f"sha1={digest}"


def intercom_signed_headers(body: bytes, client_secret: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        INTERCOM_SIGNATURE_HEADER: intercom_signature(body, client_secret),
    }


def sendgrid_private_key(seed: int) -> ec.EllipticCurvePrivateKey:
    """A P-256 key derived from ``seed``, so a restarted sandbox keeps its public key
    (a demo connection stores the verification key once). Not for real use."""
    digest = hashlib.sha256(f"cs-platform-sandbox-sendgrid:{seed}".encode()).digest()
    scalar = int.from_bytes(digest, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def sendgrid_public_key_b64(private_key: ec.EllipticCurvePrivateKey) -> str:
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def sendgrid_signature(private_key: ec.EllipticCurvePrivateKey, timestamp: str, body: bytes) -> str:
    der = private_key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(der).decode()


def sendgrid_signed_headers(
    private_key: ec.EllipticCurvePrivateKey, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(clock.epoch()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/json",
        SENDGRID_SIGNATURE_HEADER: sendgrid_signature(private_key, ts, body),
        SENDGRID_TIMESTAMP_HEADER: ts,
    }
