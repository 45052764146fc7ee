"""The personal-data registry: which fields of which models hold personal data, and how
each is exported and erased (DESIGN.md 8).

Every app that stores personal data declares it in its `personal_data` module (found the
way tools are: one module per installed app, imported once) with `personal_data_register`.
One declaration serves four readers: `gdpr_export` (which rows are about a subject),
`gdpr_erase` (what happens to each field), the audit trail (a personal field's value never
enters an event: `personal_fields`) and the admin (its log names a personal row by type
and id, not by its text).

A subject is a contact (`customers.Contact`) found by e-mail address or id. A model finds
the subject's rows through `subject` (the path to the contact; ``""``: the row is the
contact), through `email_fields` (an address stored as text) and, for free text, by
searching its `REDACT` fields for the subject's e-mail, full name and phone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.db.models import Model


class Rule(StrEnum):
    ANONYMISE = "anonymise"  # replaced by a value that names nobody (erased-<id>@erased.invalid)
    BLANK = "blank"  # emptied: "" / NULL / {} / []
    REDACT = "redact"  # free text: each mention of the subject becomes "[redacted]"
    KEEP = "keep"  # kept under the model's legal basis (no personal value of its own)


class RowRule(StrEnum):
    ANONYMISE = "anonymise"  # the subject's rows stay, their personal fields erased by rule
    DELETE = "delete"  # the subject's rows are deleted


@dataclass(frozen=True)
class PersonalModel:
    model: str  # "app_label.ModelName"
    fields: Mapping[str, Rule]
    subject: str | None = None  # path to the subject's Contact; "" the row is the contact
    email_fields: tuple[str, ...] = ()  # addresses stored as text that identify the subject
    contact_label_fields: tuple[str, ...] = ()  # text fields holding "contact:<id>"
    rows: RowRule = RowRule.ANONYMISE
    basis: str = ""  # why rows (or KEEP fields) stay after erasure

    @property
    def model_class(self) -> type[Model]:
        return apps.get_model(self.model)

    def fields_with(self, *rules: Rule) -> tuple[str, ...]:
        return tuple(name for name, rule in self.fields.items() if rule in rules)


_REGISTRY: dict[str, PersonalModel] = {}
_LOADED = False


def personal_data_register(*entries: PersonalModel) -> None:
    """Declare models' personal fields (called from an app's `personal_data` module)."""
    for entry in entries:
        model = apps.get_model(entry.model)  # a typo fails at import, not at erasure
        for name in entry.fields:
            model._meta.get_field(name)
        _REGISTRY[model._meta.label_lower] = entry


def personal_data_registry() -> dict[str, PersonalModel]:
    """Every declaration, keyed by model label (lower case), after importing each installed
    app's `personal_data` module once."""
    global _LOADED
    if not _LOADED:
        _core_register()
        for config in apps.get_app_configs():
            name = f"{config.name}.personal_data"
            if find_spec(config.name) is not None and _module_exists(name):
                import_module(name)
        _LOADED = True
    return dict(_REGISTRY)


def _core_register() -> None:
    # Core's own tables, and Django's admin log, whose text may name a person.
    # A stored tool answer may hold a rendered message; a caller-chosen key may name someone.
    entries = [
        PersonalModel("core.IdempotencyRecord", {"response": Rule.REDACT, "key": Rule.REDACT})
    ]
    if apps.is_installed("django.contrib.admin"):
        entries.append(
            PersonalModel(
                "admin.LogEntry",
                {"object_repr": Rule.REDACT, "change_message": Rule.REDACT},
            )
        )
    personal_data_register(*entries)


def _module_exists(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def personal_model(model: type[Model] | str) -> PersonalModel | None:
    label = model if isinstance(model, str) else model._meta.label_lower
    return personal_data_registry().get(label.lower())


def personal_fields(model: type[Model] | str) -> frozenset[str]:
    """The fields of `model` whose values are personal (every rule but KEEP), with their
    attnames; empty for a model the registry does not name."""
    entry = personal_model(model)
    if entry is None:
        return frozenset()
    names = set(entry.fields_with(Rule.ANONYMISE, Rule.BLANK, Rule.REDACT))
    cls = entry.model_class
    names |= {cls._meta.get_field(n).attname for n in names}
    return frozenset(names)
