"""A content hash of the demo tables: equal hashes mean byte-identical demo data.

Rows are read in primary-key order with every concrete column. Ids are included: the seed
assigns them explicitly from 1 after restarting the sequences, so they are part of what
must repeat. References to users are hashed as usernames, because the demo users are
upserted (never recreated), so their ids depend on what the database held before.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models

from portfolio.seed.tables import seeded_models


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"D{value}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def seed_content_hash() -> str:
    """SHA-256 over the demo tables' rows (see the module docstring for what counts)."""
    usernames = dict(get_user_model().objects.values_list("pk", "username"))
    digest = hashlib.sha256()
    for model in sorted(seeded_models(), key=lambda m: m._meta.db_table):
        fields = list(model._meta.concrete_fields)
        user_columns = {
            i
            for i, f in enumerate(fields)
            if isinstance(f, models.ForeignKey)
            and f.related_model._meta.label == settings.AUTH_USER_MODEL
        }
        digest.update(f"#{model._meta.db_table}\n".encode())
        rows = model._default_manager.order_by("pk").values_list(*(f.attname for f in fields))
        for row in rows.iterator(chunk_size=5000):
            values = [
                usernames.get(v, v) if i in user_columns and v is not None else _plain(v)
                for i, v in enumerate(row)
            ]
            digest.update(json.dumps(values, sort_keys=True, default=str).encode())
            digest.update(b"\n")
    return digest.hexdigest()
