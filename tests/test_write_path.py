"""One write path: adapters (the admin, REST resources, tools, management commands) never
write to the database themselves; they call the services, which validate, write and
record the audit event. Two guards:

- a walk over the source of every adapter module that fails on an ORM write call;
- the system check `cs_admin.E001`, which fails when an admin that can write declares no
  services (so a new admin cannot fall back to Django's own `save()`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib import admin
from django.core import checks

from cs_platform.core.admin.base import CsModelAdmin, CsTabularInline
from cs_platform.core.records import WriteServices
from customers.models import Contract, Renewal

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".venv", "node_modules", "tests", "migrations", ".git", "bench"}
ADAPTER_DIRS = {"admin", "api", "tools"}
# Calls that write rows (or run SQL) whatever object they are made on. Adapters have no
# business calling any of them, on a model or otherwise, so nothing is allow-listed.
WRITE_CALLS = frozenset(
    {
        "save",
        "delete",
        "update",
        "create",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
        "execute",
        "executemany",
        "raw",
    }
)


def adapter_modules() -> list[Path]:
    """Every module under an `admin/`, `api/` or `tools/` package, every `tools.py` and
    `admin.py`, and every management command."""
    found = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if SKIPPED_DIRS & set(parts):
            continue
        dirs, name = set(parts[:-1]), parts[-1]
        in_commands = "commands" in dirs and "management" in dirs
        if ADAPTER_DIRS & dirs or name in ("tools.py", "admin.py") or in_commands:
            found.append(path)
    return sorted(found)


def write_calls(source: str) -> list[tuple[int, str]]:
    """(line, call) for every `<something>.<write method>(…)` in `source`."""
    hits = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITE_CALLS
        ):
            hits.append((node.lineno, f".{node.func.attr}("))
    return hits


def test_the_walk_covers_every_kind_of_adapter():
    names = {str(p.relative_to(ROOT)) for p in adapter_modules()}
    for expected in (
        "cs_platform/core/admin/base.py",
        "portfolio/admin/accounts.py",
        "customers/admin/contacts.py",
        "customers/api/views.py",
        "customers/tools/accounts.py",
        "portfolio/tools/clients.py",
        "health/tools/retention.py",
        "integrations/admin/connections.py",
        "cs_platform/core/api/tool_views.py",
        "audit/admin.py",
        "gdpr/admin.py",
        "cs_platform/core/management/commands/ensure_demo_admin.py",
    ):
        assert expected in names, expected


@pytest.mark.parametrize(
    "source",
    [
        "obj.save()",
        "Contract.objects.create(name='x')",
        "qs.filter(pk=1).update(status='done')",
        "account.contacts.get_or_create(email='a@b.test')",
        "Model.objects.bulk_create(rows)",
        "cursor.execute('DELETE FROM t')",
        "form.save(commit=False)",
    ],
)
def test_the_walk_finds_writes(source):
    assert write_calls(source), source


def test_adapters_write_only_through_services():
    offenders = []
    for path in adapter_modules():
        for line, call in write_calls(path.read_text()):
            offenders.append(f"{path.relative_to(ROOT)}:{line} calls {call}")
    assert offenders == [], "call a service instead:\n" + "\n".join(offenders)


# --- the admin declares its services ------------------------------------------------------


def _e001(messages: list[checks.CheckMessage]) -> list[checks.CheckMessage]:
    return [m for m in messages if m.id == "cs_admin.E001"]


def test_a_writable_admin_without_services_fails_the_system_check():
    site = admin.AdminSite(name="probe")

    class Undeclared(CsModelAdmin):
        account_lookup = "account"

    class Declared(CsModelAdmin):
        writes = WriteServices(update=lambda **kwargs: None)

    class LookOnly(CsModelAdmin):
        read_only = True

    assert _e001(Undeclared(Contract, site).check())
    assert not _e001(Declared(Contract, site).check())
    assert not _e001(LookOnly(Contract, site).check())


def test_an_inline_without_services_fails_the_system_check():
    site = admin.AdminSite(name="probe")

    class RenewalRows(CsTabularInline):
        model = Renewal

    class Parent(CsModelAdmin):
        read_only = True
        inlines = [RenewalRows]

    assert _e001(Parent(Contract, site).check())


def test_every_registered_admin_declares_its_services():
    assert _e001(checks.run_checks(tags=[checks.Tags.admin])) == []
    for model, model_admin in admin.site._registry.items():
        if not getattr(model_admin, "read_only", False):
            assert model_admin.write_services() is not None, model._meta.label


def test_permissions_follow_the_declared_services(rf, django_user_model):
    site = admin.AdminSite(name="probe")

    class ChangeOnly(CsModelAdmin):
        writes = WriteServices(update=lambda **kwargs: None)

    request = rf.get("/")
    request.user = django_user_model(username="root", is_superuser=True, is_active=True)
    model_admin = ChangeOnly(Contract, site)
    assert model_admin.has_change_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_delete_permission(request)
