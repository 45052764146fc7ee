"""Canonical JSON for the audit hash: one text per value, whatever PostgreSQL's jsonb
does to it on the way in and out.

jsonb sorts keys, stores `-0.0` as `0.0`, prints a large float's numeric in full (read
back as an int), refuses NaN, Infinity and NUL, and keeps Unicode as sent. Hashing what
the caller passed therefore broke the chain for good when the stored row was read back.
The writer stores `canonical_value(changes)` and both sides hash `canonical_json` of it:
keys sorted, strings NFC-normalised (NUL and lone surrogates replaced), an integral
float written as an integer (so `-0.0`, `0.0` and `0` agree), NaN and the infinities as
strings.
"""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any


def _text(value: str) -> str:
    value = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    return unicodedata.normalize("NFC", value)


def canonical_value(value: Any) -> Any:
    """`value` (JSON types) in the one form the hash is computed on and the row stores."""
    if isinstance(value, dict):
        return {_text(str(k)): canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical_value(v) for v in value]
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer():
            return int(value)  # -0.0 → 0; 1e20 → 100000000000000000000, as jsonb prints it
        return value
    return _text(str(value))


def canonical_json(value: Any) -> str:
    """The text that is hashed: canonical values, sorted keys, no whitespace."""
    return json.dumps(
        canonical_value(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
