"""Subjects written in bulk, for generated data (the demo city at scale, docs/demo-city.md): the
rows by COPY on PostgreSQL (``lib.copyload.write_objects``), each with the
``subject.created`` event ``services.create_subject`` would record, appended in the caller's
transaction. Real subjects go through ``services``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from quancheng.ledger.actions import Action
from quancheng.ledger.bulk import append_events, spec_for
from quancheng.ledger.services import require_own_transaction
from quancheng.ledger.snapshot import snapshot
from quancheng.lib.copyload import write_objects
from quancheng.orgs import capabilities as caps

from .models import Subject
from .services import FIELDS, _clean

if TYPE_CHECKING:
    from quancheng.orgs.models import User


def add_subjects(actor: User, subjects: Sequence[Subject]) -> int:
    """Write unsaved subjects, created by ``actor``, and their ``subject.created`` events;
    return how many events.

    Checked as ``create_subject`` checks one (the capability in each subject's agency, then
    ``_clean``), and a credit code twice in the batch is a duplicate too: on any refusal
    nothing is written. No ``extra`` in the bodies, unlike the other bulk writers: the events
    are exactly those ``create_subject`` records.
    """
    # Before anything is written: outside a transaction the rows would commit on their own.
    require_own_transaction("add_subjects")
    for agency in {s.agency for s in subjects}:
        caps.require(actor, caps.SUBJECT_CHANGE, agency)
    for subject in subjects:
        _clean(subject)
    _refuse_codes_twice(subjects)
    write_objects(Subject, subjects)
    return append_events(
        spec_for(actor, Action.SUBJECT_CREATED, s, snapshot(s, FIELDS)) for s in subjects
    )


def _refuse_codes_twice(subjects: Sequence[Subject]) -> None:
    """The batch's own duplicates, which ``_clean`` cannot see (it asks the database)."""
    codes = Counter((s.agency_id, s.credit_code) for s in subjects if s.credit_code)
    twice = sorted(code for (_, code), n in codes.items() if n > 1)
    if twice:
        message = f"本批执法对象中统一社会信用代码重复：{'、'.join(twice)}"
        raise ValidationError({"credit_code": [ValidationError(message, code="duplicate")]})
