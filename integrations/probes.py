"""The encryption canary: proves the configured keys can decrypt what is stored.

django-fernet-encrypted-fields returns the ciphertext unchanged when decryption fails
(wrong SECRET_KEY or salt), so without this check a key mistake would silently hand
ciphertext to provider clients as credentials.
"""

from __future__ import annotations

CANARY_PLAINTEXT = "cs-platform-canary-v1"


def check_encryption_canary() -> tuple[bool, str] | None:
    from integrations.models import EncryptionCanary

    try:
        canary = EncryptionCanary.objects.filter(pk=1).first()
    except Exception as exc:
        return False, f"canary unreadable: {type(exc).__name__}"
    if canary is None:
        return True, "no canary yet (written on first migrate)"
    if canary.value != CANARY_PLAINTEXT:
        return False, "stored secrets cannot be decrypted with the configured keys"
    return True, "ok"
