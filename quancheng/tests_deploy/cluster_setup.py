"""Set-up run inside the cluster's installation (``manage.py shell -c``), through the services.

Creates what the multi-server test needs beside the documented install: an inspected subject,
one act of 张伟 and 李娜, and ``n`` signed 卫生监督意见书 drafts ready to be finalised. Prints
the drafts' ids as JSON on the last line.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json

from django.utils import timezone
from PIL import Image, ImageDraw

from quancheng.cases.services import create_act
from quancheng.documents import services
from quancheng.documents.models import DocumentType
from quancheng.orgs.models import Agency, User
from quancheng.subjects.services import create_subject


def signature_png() -> str:
    image = Image.new("RGB", (300, 100), "white")
    ImageDraw.Draw(image).line([(10, 80), (120, 20), (200, 70), (290, 30)], fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def make_drafts(n: int) -> list[int]:
    agency = Agency.objects.get(code="d03-zf")
    officer = User.objects.get(username="zhangwei")
    colleague = User.objects.get(username="lina")
    subject = create_subject(
        officer,
        agency,
        name="重庆市渝中区解放碑口腔诊所",
        kind="medical",
        address="渝中区邹容路100号",
        credit_code="91500103MA5U00001G",
    )
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    act = create_act(
        officer,
        agency,
        [officer, colleague],
        kind="inspection",
        started_at=start,
        ended_at=start + dt.timedelta(minutes=45),
        place=subject.address,
        subject=subject,
    )
    doc_type = DocumentType.objects.get(name="卫生监督意见书")
    image = signature_png()
    ids = []
    for i in range(n):
        draft = services.create_draft(officer, act, doc_type, {"opinion": f"整改 {i + 1}"})
        for person in (officer, colleague):
            # Each officer signs in person (as on their own terminal).
            services.add_signature(person, draft, role="officer", officer=person, image=image)
        services.add_signature(officer, draft, role="party", name="王建国", image=image)
        ids.append(draft.pk)
    return ids


def main(n: int) -> None:
    print(json.dumps(make_drafts(n)))
