"""Creating and changing provider connections. Credentials are validated per provider,
stored encrypted, and never written to the audit trail (only which keys changed)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from audit.services import audit_record
from cs_platform.core.actors import Actor
from cs_platform.core.errors import Conflict, field_error
from cs_platform.core.records import WriteServices, as_row
from cs_platform.core.services import model_delete, model_update
from integrations.clients import base_url_validate, credentials_validate
from integrations.models import Connection, Provider

_UNSET: Any = object()
SECRETS = frozenset({"credentials", "webhook_secret"})
_MAX_INTERVAL_MINUTES = 7 * 24 * 60


def _validate_common(
    *, name: str, sync_interval_minutes: int, options: dict[str, Any]
) -> tuple[str, int, dict[str, Any]]:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise field_error("name", "must be 1–100 characters")
    if not isinstance(sync_interval_minutes, int) or not (
        1 <= sync_interval_minutes <= _MAX_INTERVAL_MINUTES
    ):
        raise field_error("sync_interval_minutes", f"must be 1–{_MAX_INTERVAL_MINUTES}")
    if not isinstance(options, dict):
        raise field_error("settings", "must be an object")
    return name, sync_interval_minutes, options


@transaction.atomic
def connection_create(
    *,
    actor: Actor,
    provider: str,
    name: str,
    base_url: str,
    credentials: dict[str, Any],
    webhook_secret: str = "",
    settings: dict[str, Any] | None = None,
    sync_interval_minutes: int = 15,
    enabled: bool = True,
) -> Connection:
    if provider not in Provider.values:
        raise field_error("provider", f"must be one of {', '.join(Provider.values)}")
    name, interval, options = _validate_common(
        name=name, sync_interval_minutes=sync_interval_minutes, options=settings or {}
    )
    creds = credentials_validate(provider, credentials)
    url = base_url_validate(base_url)
    if Connection.objects.filter(provider=provider, name=name).exists():
        raise Conflict(f"a {provider} connection named {name!r} exists", details={"field": "name"})
    connection = Connection.objects.create(
        provider=provider,
        name=name,
        base_url=url,
        credentials=creds,
        webhook_secret=webhook_secret or None,
        settings=options,
        sync_interval_minutes=interval,
        enabled=enabled,
    )
    audit_record(
        actor,
        "integrations.connection_created",
        connection,
        changes={
            "provider": provider,
            "name": name,
            "base_url": url,
            "credential_keys": sorted(creds),
            "webhook_secret_set": bool(webhook_secret),
            "settings": options,
            "sync_interval_minutes": interval,
            "enabled": enabled,
        },
    )
    return connection


@transaction.atomic
def connection_update(
    *,
    actor: Actor,
    connection_id: int,
    name: str = _UNSET,
    base_url: str = _UNSET,
    credentials: dict[str, Any] = _UNSET,
    webhook_secret: str = _UNSET,
    settings: dict[str, Any] = _UNSET,
    sync_interval_minutes: int = _UNSET,
    enabled: bool = _UNSET,
) -> Connection:
    """Change what is given. Credentials are replaced as a whole and re-validated.
    Cursors are never written here: a running sync owns them."""
    connection = Connection.objects.select_for_update().filter(pk=connection_id).first()
    if connection is None:
        raise field_error("connection_id", "no such connection", code="not_found")
    new_name, interval, options = _validate_common(
        name=connection.name if name is _UNSET else name,
        sync_interval_minutes=(
            connection.sync_interval_minutes
            if sync_interval_minutes is _UNSET
            else sync_interval_minutes
        ),
        options=connection.settings if settings is _UNSET else settings,
    )
    if new_name != connection.name:
        clash = Connection.objects.filter(provider=connection.provider, name=new_name)
        if clash.exclude(pk=connection.pk).exists():
            raise Conflict(f"a {connection.provider} connection named {new_name!r} exists")
    changes: dict[str, Any] = {
        "name": new_name,
        "sync_interval_minutes": interval,
        "settings": options,
    }
    if base_url is not _UNSET:
        changes["base_url"] = base_url_validate(base_url)
    if enabled is not _UNSET:
        changes["enabled"] = bool(enabled)
    if credentials is not _UNSET:
        changes["credentials"] = credentials_validate(connection.provider, credentials)
    if webhook_secret is not _UNSET:
        changes["webhook_secret"] = webhook_secret or None
    diff = model_update(connection, changes, validate=False)
    # Secrets are named, never shown: which credential keys are now set, whether a
    # webhook secret is. Replacing credentials with equal ones is still recorded.
    audited = {
        key: [change["before"], change["after"]]
        for key, change in diff.items()
        if key not in SECRETS
    }
    if "credentials" in changes:
        audited["credential_keys_replaced"] = sorted(changes["credentials"])
    if "webhook_secret" in changes:
        audited["webhook_secret_set"] = bool(webhook_secret)
    if audited:
        audit_record(actor, "integrations.connection_updated", connection, changes=audited)
    return connection


@transaction.atomic
def connection_delete(*, actor: Actor, connection: Connection) -> None:
    """Delete a connection with its sync runs; one that tickets or e-mails were synced or
    sent through is kept (their natural keys name it): disable it instead."""
    audit_record(
        actor,
        "integrations.connection_deleted",
        connection,
        changes={"provider": connection.provider, "name": connection.name},
    )
    model_delete(connection)


# What the admin form offers and the services accept: the cursors belong to the syncs,
# the provider to the connection's identity.
CONNECTION_FIELDS = (
    "provider",
    "name",
    "base_url",
    "enabled",
    "sync_interval_minutes",
    "settings",
    "credentials",
    "webhook_secret",
)
_UPDATABLE = tuple(f for f in CONNECTION_FIELDS if f != "provider")


def _secret_changes(fields: dict[str, Any]) -> dict[str, Any]:
    """The admin's write-only inputs as service arguments: new credentials replace the
    stored ones, a new webhook secret replaces it, "clear" removes it, empty keeps both."""
    out = {k: v for k, v in fields.items() if k in CONNECTION_FIELDS}
    if fields.get("new_credentials") is not None:
        out["credentials"] = fields["new_credentials"]
    if fields.get("new_webhook_secret"):
        out["webhook_secret"] = fields["new_webhook_secret"]
    elif fields.get("clear_webhook_secret"):
        out["webhook_secret"] = ""
    return out


def _create_from_fields(*, actor: Actor, fields: dict[str, Any]) -> Connection:
    values = _secret_changes(fields)
    values.setdefault("credentials", {})
    values["webhook_secret"] = values.get("webhook_secret") or ""
    return connection_create(actor=actor, **values)


def _update_from_fields(*, actor: Actor, instance: Connection, changes: dict[str, Any]) -> Any:
    values = _secret_changes(changes)
    extra = sorted(set(values) - set(_UPDATABLE))
    if extra:
        raise field_error(extra[0], "cannot be changed on an existing connection")
    return connection_update(actor=actor, connection_id=instance.pk, **values)


CONNECTION_WRITES = WriteServices(
    create=_create_from_fields,
    update=_update_from_fields,
    delete=as_row("connection", connection_delete),
    create_fields=CONNECTION_FIELDS,
    update_fields=_UPDATABLE,
)
