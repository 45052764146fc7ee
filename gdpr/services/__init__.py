"""Consent history and retention policies, written through `cs_platform.core.records`
(validated, scoped to the contact's account, audited).

Consent is a history: a change of mind is a new row (the newest per contact and purpose
is in force), so there is a create service and no update or delete.
"""

from __future__ import annotations

from cs_platform.core.records import RecordSpec
from gdpr.models import ConsentRecord, RetentionPolicy

CONSENT_RECORD = RecordSpec(ConsentRecord, "consent", account="contact__account")
RETENTION_POLICY_RECORD = RecordSpec(
    RetentionPolicy,
    "retention_policy",
    updatable=("data_category", "retain_days", "action", "enabled"),
)

CONSENT_WRITES = CONSENT_RECORD.writes(update=False, delete=False)
RETENTION_POLICY_WRITES = RETENTION_POLICY_RECORD.writes()
