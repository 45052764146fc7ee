"""The subject-access export: every row about a subject across all apps, as JSON with a
manifest (the `gdpr_export` command and the `export_personal_data` tool)."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.personal_data import Rule, personal_data_registry
from gdpr.models import DataSubjectRequest, RequestKind
from gdpr.services.requests import requests_complete, requests_open_for
from gdpr.services.subjects import Subject, row_values, subject_resolve, subject_rows

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Export:
    manifest: dict[str, Any]
    data: dict[str, list[dict[str, Any]]]

    def as_json(self) -> str:
        return json.dumps(
            {"manifest": self.manifest, "data": self.data},
            cls=DjangoJSONEncoder,
            ensure_ascii=False,
            indent=1,
        )

    def as_zip(self) -> bytes:
        """manifest.json, export.json (everything) and one file per model."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            dump = lambda v: json.dumps(v, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)  # noqa: E731
            archive.writestr("manifest.json", dump(self.manifest))
            archive.writestr("export.json", self.as_json())
            for label, rows in self.data.items():
                archive.writestr(f"{label}.json", dump(rows))
        return buffer.getvalue()


def subject_export_collect(subject: Subject) -> Export:
    """Read every registered model's rows about `subject` (no write)."""
    data: dict[str, list[dict[str, Any]]] = {}
    for label, entry in sorted(personal_data_registry().items()):
        rows, linked = subject_rows(entry, subject)
        mention_fields = entry.fields_with(Rule.REDACT)
        found = [
            row_values(obj) if obj.pk in linked else row_values(obj, mention_fields) for obj in rows
        ]
        if found:
            data[label] = found
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": clock.now(),
        "subject": {"email": subject.email, "contact_ids": list(subject.contact_ids)},
        "counts": {label: len(rows) for label, rows in data.items()},
        "models_searched": sorted(personal_data_registry()),
    }
    return Export(manifest=manifest, data=data)


def subject_export(
    *,
    actor: Actor | None,
    email: str | None = None,
    contact_id: int | None = None,
    request: DataSubjectRequest | None = None,
) -> Export:
    """The export of one subject, audited (`gdpr.export`: counts per model, no values)
    and recorded against the open access request for the address, if any."""
    subject = subject_resolve(email=email, contact_id=contact_id)
    with transaction.atomic():
        export = subject_export_collect(subject)
        counts = export.manifest["counts"]
        open_requests = requests_open_for(
            kind=RequestKind.EXPORT, email=subject.email, request=request
        )
        result = {"counts": counts, "generated_at": export.manifest["generated_at"].isoformat()}
        handled = requests_complete(actor, open_requests, result=result)
        audit_record(
            actor,
            "gdpr.export",
            object_type="customers.contact",
            changes={
                "contact_ids": list(subject.contact_ids),
                "counts": counts,
                "request_ids": handled,
            },
            system="gdpr",
        )
    return export
