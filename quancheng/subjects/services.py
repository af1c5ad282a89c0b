"""Use cases for enforcement subjects; each writes its ledger event in the same transaction."""

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.ledger.services import record_event
from quancheng.ledger.snapshot import changes, snapshot
from quancheng.lib import uscc
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import Agency

from .models import Subject

if TYPE_CHECKING:
    from quancheng.orgs.models import User


FIELDS = [
    "agency",
    "name",
    "kind",
    "address",
    "licence_number",
    "credit_code",
    "legal_representative",
    "phone",
]
EDITABLE = [f for f in FIELDS if f != "agency"]


def _clean(subject: Subject) -> None:
    errors: dict[str, list[ValidationError]] = {}
    if subject.credit_code:
        try:
            subject.credit_code = uscc.validate(subject.credit_code)
        except uscc.InvalidCreditCode as e:
            errors["credit_code"] = [ValidationError(str(e), code="invalid_credit_code")]
    if not subject.name.strip():
        errors["name"] = [ValidationError("名称不能为空", code="required")]
    if subject.kind not in Subject.Kind.values:
        errors["kind"] = [ValidationError("类别无效", code="invalid_choice")]
    if not errors.get("credit_code") and subject.credit_code:
        duplicate = Subject.objects.filter(agency=subject.agency, credit_code=subject.credit_code)
        if duplicate.exclude(pk=subject.pk).exists():
            errors["credit_code"] = [
                ValidationError("本机构已登记该统一社会信用代码的执法对象", code="duplicate")
            ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_subject(actor: "User", agency: Agency, **data) -> Subject:
    """Create an enforcement subject in the agency (a ledger event)."""
    caps.require(actor, caps.SUBJECT_CHANGE, agency)
    subject = Subject(agency=agency, **{k: v for k, v in data.items() if k in EDITABLE})
    _clean(subject)
    subject.save()
    record_event(actor, "subject.created", subject, snapshot(subject, FIELDS))
    return subject


@transaction.atomic
def update_subject(actor: "User", subject: Subject, **data) -> Subject:
    """Change a subject's fields (a ledger event with the differences)."""
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    caps.require(actor, caps.SUBJECT_CHANGE, subject)
    before = snapshot(subject, FIELDS)
    for key, value in data.items():
        if key in EDITABLE:
            setattr(subject, key, value)
    _clean(subject)
    diff = changes(before, snapshot(subject, FIELDS))
    if not diff:
        return subject
    subject.updated_at = timezone.now()
    subject.save()
    record_event(actor, "subject.updated", subject, {"changes": diff})
    return subject
