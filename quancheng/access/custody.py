"""What the access app holds about a batch of acts, for the rule A24-access (compliance's
custody, ``compliance/custody.py``); registered as a custody loader in AccessConfig.ready().

One query: the provisions handed over to outside bodies (A24 ¶2) of the acts or their cases,
with their approvers.
"""

from __future__ import annotations

from django.utils import timezone

from quancheng.compliance.custody import Batch, ProvisionRow
from quancheng.orgs.models import Role

from .models import Provision


def load_provisions(batch: Batch) -> None:
    """4. Provisions handed over to outside bodies (A24 ¶2), with their approvers."""
    for row in (
        Provision.objects.filter(batch.in_batch, status=Provision.Status.PROVIDED)
        .order_by("provided_on", "pk")
        .values_list(
            "pk",
            "act_id",
            "case_id",
            "agency_id",
            "recipient",
            "provided_on",
            "decided_by_id",
            "decided_by__full_name",
            "decided_by__role",
            "decided_by__agency_id",
            "decided_at",
        )
    ):
        pk, act_id, case_id, agency_id, recipient, provided_on, approver, name = row[:8]
        role, approver_agency, approved_at = row[8:]
        assert provided_on is not None  # the constraint provision_provided_after_approval
        is_head = role == Role.HEAD and approver_agency == agency_id
        before = approved_at is not None and timezone.localdate(approved_at) <= provided_on
        for target in batch.targets(act_id, case_id):
            batch.custody[target].provisions.append(
                ProvisionRow(pk, recipient, provided_on, approver, name or "", is_head, before)
            )
