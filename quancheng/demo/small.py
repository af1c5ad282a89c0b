"""The small demo (``seed_demo --small``, and what the tests load): people in 渝中区 and 江北区
and the three administrators, subjects, an inspection, a case, and a finished inspection whose
dossier is sealed with its 四性 report (docs/archive.md).

Everything is created through the services, with the clock at ``today`` (``clock.at``), so the
demo's ledger is a real one and a test can pin the day.
"""

import datetime as dt
import io

from django.utils import timezone

from quancheng.archive import dossiers
from quancheng.cases import services as cases
from quancheng.cases.models import Act
from quancheng.documents.catalogue import load_catalogue
from quancheng.lib import transactions, uscc
from quancheng.orgs.models import ADMIN_ROLES, Agency, Role, User
from quancheng.orgs.seed import load_organisation
from quancheng.orgs.services import create_device, create_users
from quancheng.records.datakinds import load_data_kinds
from quancheng.records.items import create_document, create_segment
from quancheng.records.services import put_record, register_blob
from quancheng.records.sm3 import compute_sm3
from quancheng.subjects import services as subjects
from quancheng.subjects.models import Subject

from . import DEMO_PASSWORD, media
from .clock import at, local

# (username, full name, agency code, role, certificate number)
DEMO_PEOPLE = [
    ("zhangwei", "张伟", "d03-zf", Role.OFFICER, "渝卫执500103001"),
    ("lina", "李娜", "d03-zf", Role.OFFICER, "渝卫执500103002"),
    ("wangfang", "王芳", "d03-zf", Role.CUSTODIAN, ""),
    ("liuyang", "刘洋", "d03-zf", Role.HEAD, "渝卫执500103009"),
    ("chenjing", "陈静", "d03-wjw", Role.DISTRICT_COMMISSION, ""),
    ("zhaolei", "赵磊", "cq-zfzd", Role.AUDITOR, ""),
    ("sunli", "孙丽", "cq-wjw", Role.CITY_ADMIN, ""),
    # 三员分立 (docs/security.md): no agency, staff for the reference-data admin.
    ("qianjin", "钱进", "", Role.SYSTEM_ADMIN, ""),
    ("zhengan", "郑安", "", Role.SECURITY_ADMIN, ""),
    ("fengshen", "冯审", "", Role.AUDIT_ADMIN, ""),
    ("zhoujie", "周杰", "d05-zf", Role.OFFICER, "渝卫执500105001"),
    ("wuhao", "吴昊", "d05-zf", Role.OFFICER, "渝卫执500105002"),
]

DEMO_SUBJECTS = [
    ("重庆市渝中区解放碑口腔诊所", Subject.Kind.MEDICAL, "渝中区邹容路100号", "91500103MA5U0001"),
    ("重庆山城大酒店有限公司", Subject.Kind.PUBLIC_PLACE, "渝中区民族路88号", "91500103MA5U0002"),
    ("重庆渝中二次供水管理站", Subject.Kind.DRINKING_WATER, "渝中区中山一路12号", "12500103MB0001"),
]


def _code(base: str) -> str:
    return uscc.complete(base.ljust(17, "0")[:17])


def load_reference_data() -> None:
    """The data kinds and the document catalogue (idempotent), before the acts that use them."""
    load_data_kinds()
    load_catalogue()


def create_people(today: dt.date, extra=()) -> dict[str, User]:
    """The demo people (``DEMO_PEOPLE``, and ``extra`` officers of 渝中区 as (username, name,
    certificate)), by username; certificates valid around ``today``."""
    rows = DEMO_PEOPLE + [(u, n, "d03-zf", Role.OFFICER, c) for u, n, c in extra]
    agencies = {a.code: a for a in Agency.objects.filter(code__in={r[2] for r in rows})}
    people = []
    for username, full_name, agency_code, role, certificate in rows:
        cert = {}
        if certificate:
            cert = {
                "certificate_number": certificate,
                "certificate_valid_from": today - dt.timedelta(days=700),
                "certificate_valid_until": today + dt.timedelta(days=1095),
            }
        people.append(
            {
                "username": username,
                "full_name": full_name,
                "agency": agencies.get(agency_code),
                "role": role,
                "is_staff": role in ADMIN_ROLES,
                **cert,
            }
        )
    return {u.username: u for u in create_users(None, DEMO_PASSWORD, people)}


def seed_small(today: dt.date | None = None) -> None:
    """Load the small demo, as of ``today`` (default: now)."""
    moment = timezone.now() if today is None else local(today, 10)
    with at(moment), transactions.batch():
        _seed_small(timezone.localdate(moment))


def _seed_small(today: dt.date) -> None:
    load_organisation()
    load_reference_data()
    people = create_people(today)
    yuzhong = Agency.objects.get(code="d03-zf")
    officer = people["zhangwei"]
    made = [
        subjects.create_subject(
            officer, yuzhong, name=name, kind=kind, address=address, credit_code=_code(code)
        )
        for name, kind, address, code in DEMO_SUBJECTS
    ]
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
    cases.create_act(
        officer,
        yuzhong,
        [officer, people["lina"]],
        kind=Act.Kind.INSPECTION,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=50),
        place=made[0].address,
        subject=made[0],
        description="日常监督检查",
    )
    cases.create_case(
        officer,
        yuzhong,
        [officer, people["lina"]],
        number="渝中卫医罚〔2026〕1号",
        cause="未取得医疗机构执业许可证擅自执业",
        subject=made[0],
        filed_on=today,
    )
    _sealed_inspection(people, yuzhong, made[1])


def _sealed_inspection(people: dict[str, User], agency: Agency, subject) -> None:
    """An inspection of three days ago with a real recording and document, its dossier sealed
    (封卷归档): the 四性 checks ran and their report is in the dossier."""
    from PIL import Image

    officer, colleague, custodian = people["zhangwei"], people["lina"], people["wangfang"]
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=3)
    act = cases.create_act(
        officer,
        agency,
        [officer, colleague],
        kind=Act.Kind.INSPECTION,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=40),
        place=subject.address,
        subject=subject,
        description="公共场所卫生监督检查（已归档示例）",
    )
    camera = create_device(
        None, agency=agency, kind="body_camera", serial_number="DEMO-BC-0001", name="执法记录仪1"
    )

    def stored(data: bytes):
        blob = register_blob(put_record(io.BytesIO(data)), agency)
        compute_sm3(blob)  # as the scheduled SM3 job would (records/sm3.py)
        return blob

    create_segment(
        officer,
        agency=agency,
        blob=stored(media.clip()),
        source="upload",
        act=act,
        started_at=start,
        ended_at=start + dt.timedelta(seconds=2),
        officer=officer,
        device=camera,
        duration_seconds=2.0,
        container="mp4",
        video_codec="h264",
        original_filename="DEMO-BC-0001_现场检查.mp4",
        content_type="video/mp4",
    )
    page = io.BytesIO()
    Image.new("RGB", (595, 842), "white").save(page, format="PDF")  # a blank scanned page
    create_document(
        officer,
        agency=agency,
        blob=stored(page.getvalue()),
        source="upload",
        act=act,
        file_kind="pdf",
        doc_type="现场笔录",
        written_started_at=start,
        written_ended_at=start + dt.timedelta(minutes=40),
        original_filename="现场笔录.pdf",
        content_type="application/pdf",
    )
    dossier = dossiers.assemble_dossier(custodian, act=act)
    dossiers.freeze_dossier(custodian, dossier)


def demo_logins() -> list[tuple[str, str, str]]:
    agencies = {a.code: a.name for a in Agency.objects.all()}
    return [
        (u, f"{n}（{agencies.get(a, a)}，{Role(r).label}）", DEMO_PASSWORD)
        for u, n, a, r, _ in DEMO_PEOPLE
    ]
