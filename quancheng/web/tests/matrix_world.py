"""The world of the authorization matrix: an act with its case, a subject, a segment, a draft and
a device of 渝中区, and a person of every role (the ``world`` fixture in conftest.py builds it;
web/tests/test_authorization_matrix.py and test_untranslated_names.py walk every route over it)."""

from __future__ import annotations

import datetime as dt
import io

from django.db import transaction
from django.utils import timezone

from quancheng.documents.catalogue import load_catalogue
from quancheng.documents.models import DocumentType
from quancheng.documents.services import create_draft
from quancheng.orgs.models import Device
from quancheng.records.items import create_segment
from quancheng.records.services import blob_store, register_blob


class World:
    def __init__(self, agency, other_agency, subject, officer, colleague, persons, tmp_path):
        from quancheng.cases.services import create_act, create_case

        start = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
        self.case = create_case(
            officer,
            agency,
            [officer, colleague],
            number="渝中卫医罚〔2026〕9号",
            cause="未取得医疗机构执业许可证擅自执业",
            subject=subject,
            filed_on=timezone.localdate(),
        )
        self.act = create_act(
            officer,
            agency,
            [officer, colleague],
            kind="inspection",
            started_at=start,
            ended_at=start + dt.timedelta(hours=1),
            place=subject.address,
            subject=subject,
            case=self.case,
        )
        self.subject = subject
        info = blob_store().put(io.BytesIO(b"not really a video"))
        with transaction.atomic():
            blob = register_blob(info, agency)
        self.segment = create_segment(
            officer,
            agency=agency,
            blob=blob,
            source="upload",
            act=self.act,
            started_at=start,
            ended_at=start + dt.timedelta(minutes=30),
            original_filename="a.mp4",
        )
        load_catalogue()
        self.draft = create_draft(officer, self.act, DocumentType.objects.get(name="现场笔录"))
        self.device = Device.objects.create(agency=agency, kind="body_camera", serial_number="M-1")
        self.persons = persons

    def object_for(self, name: str, param: str):
        """The world's object a route's parameter names, or None (then an unknown id)."""
        by_param = {
            "act_id": self.act,
            "act_pk": self.act,
            "case_id": self.case,
            "subject_id": self.subject,
            "draft_id": self.draft,
            "device_id": self.device,
        }
        if param in by_param:
            return by_param[param]
        if param != "pk":
            return None
        prefixes = [
            ("subject_", self.subject),
            ("act_", self.act),
            ("case_", self.case),
            ("segment_", self.segment),
            ("records_segment", self.segment),
            ("documents:draft", self.draft),
            ("device_", self.device),
            ("compliance:marker_add", self.segment),
            ("content:picture_offset_confirm", self.segment),
            ("compliance:explanation_add", self.act),
            ("compliance:act_evaluate", self.act),
            ("archive:dossier_assemble_case", self.case),
            ("archive:dossier_assemble_act", self.act),
        ]
        return next((obj for prefix, obj in prefixes if name.startswith(prefix)), None)
