"""Default scorecard v2 (no renewal proximity) is stored and activated by a data migration;
version 1 stays for its snapshots and an operator's own version is left alone."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from health.models import Scorecard
from health.scoring import default_scorecard

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("health.migrations.0014_default_scorecard_v2")


def _v1_definition() -> dict:
    definition = default_scorecard().to_dict() | {"version": 1}
    return definition


def test_v2_replaces_an_active_v1():
    Scorecard.objects.filter(key="default").delete()
    Scorecard.objects.create(key="default", version=1, name="v1", definition=_v1_definition(),
                             is_active=True)  # fmt: skip
    MIGRATION.activate_v2(apps, None)
    active = Scorecard.objects.get(key="default", is_active=True)
    assert active.version == 2
    assert "renewal_proximity" not in str(active.definition)
    assert Scorecard.objects.filter(key="default", version=1, is_active=False).exists()


def test_an_operators_own_active_version_is_kept():
    Scorecard.objects.filter(key="default").delete()
    Scorecard.objects.create(key="default", version=5, name="ours", definition=_v1_definition()
                             | {"version": 5}, is_active=True)  # fmt: skip
    MIGRATION.activate_v2(apps, None)
    assert Scorecard.objects.get(key="default", is_active=True).version == 5
    assert Scorecard.objects.filter(key="default", version=2, is_active=False).exists()
