"""Scenes for the rule tests: a compliant act built through the real services, then spoiled.

Segments are made with records.items.create_segment over small blobs (timing rules need no real
media). ``scene(kind=...)`` returns a :class:`Scene` whose act is, as built, compliant with
every rule: two officers with valid certificates, AV covering the act with every marker the
rules read, the documents and data the configuration asks for, labels, and an on-time
registration.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from quancheng.cases.models import Act
from quancheng.compliance.config import current_config
from quancheng.compliance.evaluate import contexts_for, run_rules
from quancheng.compliance.services import add_marker
from quancheng.orgs.models import Device
from quancheng.records.items import create_data_record, create_document, create_segment
from quancheng.records.models import DataKind
from quancheng.records.services import blob_store, register_blob
from quancheng.registration.models import ActRegistration

SH = ZoneInfo("Asia/Shanghai")
_serial = itertools.count(1)


def at(*args) -> dt.datetime:
    """An aware datetime in Asia/Shanghai: at(2026, 11, 16, 9, 0)."""
    return dt.datetime(*args, tzinfo=SH)  # type: ignore[misc]  # args: year..second, never tzinfo


# Monday 2026-11-16, an ordinary working week.
START = at(2026, 11, 16, 9, 0)
END = at(2026, 11, 16, 10, 0)

# The documents each kind needs by default (data/rules.json), one of each group.
DOCUMENTS = {
    "inspection": ["现场笔录"],
    "onsite": ["现场笔录"],
    "interrogation": ["询问记录"],
    "hearing": ["听证记录"],
    "deliberation": ["合议记录"],
    "seizure": ["查封、扣押决定书", "现场笔录"],
    "evidence_preservation": ["证据先行登记保存决定书", "现场笔录"],
    "control": ["行政控制决定书", "现场笔录"],
    "service": ["行政处罚事先告知书"],
}
# A17.4: the agency head's approval of a coercive measure, dated before it began.
APPROVAL = "行政强制措施审批表"
APPROVAL_KINDS = {"seizure", "control", "evidence_preservation"}
ALL_MARKERS = [
    "arrival_door",
    "identity_stated",
    "certificate_shown",
    "rights_told",
    "party_signing",
]


class Scene:
    def __init__(self, officer, colleague, agency, subject, kind):
        self.officer, self.colleague, self.agency = officer, colleague, agency
        for person in (officer, colleague):
            person.certificate_valid_from = dt.date(2020, 1, 1)
            person.certificate_valid_until = dt.date(2035, 12, 31)
            person.save()
        self.act = Act.objects.create(
            agency=agency,
            kind=kind,
            started_at=START,
            ended_at=END,
            place=subject.address,
            subject=subject,
        )
        self.act.officers.set([officer, colleague])
        self.camera = self.device()
        # When the records reach the platform (their created_at): half an hour after the act,
        # whatever today is; a test of late arrival moves it.
        self.arrival = END + dt.timedelta(minutes=30)

    def arriving(self):
        return time_machine.travel(self.arrival, tick=False)

    def device(self, kind=Device.Kind.BODY_CAMERA):
        return Device.objects.create(
            agency=self.agency, kind=kind, serial_number=f"DSJ-{next(_serial):05d}"
        )

    def blob(self):
        info = blob_store().put(io.BytesIO(f"segment {next(_serial)}".encode()))
        with transaction.atomic():
            return register_blob(info, self.agency)

    def segment(self, start, end, officer=None, device="default", **fields):
        with self.arriving():
            return self._segment(start, end, officer, device, **fields)

    def _segment(self, start, end, officer, device, **fields):
        return create_segment(
            self.officer,
            agency=self.agency,
            blob=self.blob(),
            source="upload",
            act=self.act,
            started_at=start,
            ended_at=end,
            duration_seconds=(end - start).total_seconds(),
            officer=officer or self.officer,
            device=self.camera if device == "default" else device,
            original_filename=f"{next(_serial)}.mp4",
            **fields,
        )

    def mark(self, segment, kind, offset):
        return add_marker(self.officer, segment, kind, offset)

    def document(self, doc_type, written=None):
        written = written or (START, END)
        with self.arriving():
            return self._document(doc_type, written)

    def _document(self, doc_type, written):
        return create_document(
            self.officer,
            agency=self.agency,
            blob=self.blob(),
            source="upload",
            act=self.act,
            file_kind="pdf",
            doc_type=doc_type,
            written_started_at=written[0],
            written_ended_at=written[1],
        )

    def approval(self, approved_at=None):
        """The 行政强制措施审批表, approved half an hour before the measure by default."""
        approved_at = approved_at or START - dt.timedelta(minutes=30)
        return self.document(APPROVAL, written=(approved_at, approved_at))

    def data(self):
        kind, _ = DataKind.objects.get_or_create(
            code="inspection-items", defaults={"name": "监督检查项目", "schema": {"type": "object"}}
        )
        with self.arriving():
            return create_data_record(
                self.officer,
                agency=self.agency,
                kind=kind,
                data={"items": []},
                recorded_at=END,
                source="api",
                act=self.act,
            )

    def register(self, on_time=True, registered_at=None):
        return ActRegistration.objects.create(
            act=self.act,
            registered_by=self.officer,
            registered_at=registered_at or END + dt.timedelta(hours=2),
            deadline=dt.date(2026, 11, 18),
            on_time=on_time,
        )

    def compliant(self):
        """One segment over the whole act with every marker; documents, data, registration."""
        self.main = self.segment(START, END)
        for offset, kind in enumerate(ALL_MARKERS):
            self.mark(self.main, kind, 10 + offset * 60)
        self.mark(self.main, "door_at_end", 3590)
        for doc_type in DOCUMENTS.get(self.act.kind, []):
            self.document(doc_type)
        if self.act.kind in APPROVAL_KINDS:
            self.approval()
        if self.act.kind == "inspection":
            self.data()
        self.register()
        return self

    def act_documents(self):
        from quancheng.records.models import Document

        return list(Document.objects.filter(act=self.act))

    def hits(self, rule_id=None, config=None):
        act = Act.objects.select_related("agency").get(pk=self.act.pk)
        context = contexts_for([act], config or current_config())[act.pk]
        return [h for r, h in run_rules(context) if rule_id is None or r == rule_id]


@pytest.fixture
def scene(officer, colleague, agency, subject, settings, tmp_path):
    settings.VAR_DIR = str(tmp_path)
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"

    def make(kind="inspection", compliant=True):
        built = Scene(officer, colleague, agency, subject, kind)
        return built.compliant() if compliant else built

    return make


@pytest.fixture
def clock():
    """clock(moment): move the frozen clock there (and keep it until the test ends)."""
    travellers = []

    def move(moment):
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield move
    for traveller in travellers:
        traveller.stop()
