"""Data-subject tools: the GDPR access/portability export for DPO staff."""

from __future__ import annotations

import json

from cs_platform.core.errors import PermissionDenied
from cs_platform.core.models import Role
from cs_platform.core.tools import ToolContext, tool
from gdpr.selectors import data_subject_request_get
from gdpr.services.export import subject_export
from gdpr.tools.subjects_contracts import ExportPersonalDataInput, ExportPersonalDataOutput


@tool(permission="write", read_only=False, idempotent=False)
def export_personal_data(
    ctx: ToolContext, params: ExportPersonalDataInput
) -> ExportPersonalDataOutput:
    """Every stored row about one person (by e-mail and/or contact id), across all apps,
    with a manifest: the answer to a GDPR access or portability request. CS managers only;
    audited (counts, never values); completes the open access request for the address.
    """
    if ctx.actor.role != Role.MANAGER and not ctx.actor.user.is_superuser:
        raise PermissionDenied(
            "only CS managers may export personal data", details={"tool": "export_personal_data"}
        )
    request = None
    if params.request_id is not None:
        request = data_subject_request_get(params.request_id)
    export = subject_export(
        actor=ctx.actor, email=params.email, contact_id=params.contact_id, request=request
    )
    ctx.audit(changes={"counts": export.manifest["counts"]})
    # Dates and decimals as JSON strings, as the command's file has them.
    payload = json.loads(export.as_json())
    return ExportPersonalDataOutput(
        as_of=ctx.now, manifest=payload["manifest"], data=payload["data"]
    )
