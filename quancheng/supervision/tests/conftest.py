"""The supervision tests' fixtures: a demo city, the rollups' scene, and, for the spot-check and
evaluation tests, frozen dossiers and district people. Dossier assembly and freezing are another
part of the platform (archive services); ``make_dossiers`` creates frozen Dossier rows directly,
each for an inspection act made through the act service."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from quancheng.archive.models import Dossier, RetentionClass
from quancheng.cases.services import create_act
from quancheng.conftest import make_person
from quancheng.demo.city import CityPlan, build_city
from quancheng.orgs.models import Agency, Role

# A fixed "now" so that the city (and its deadlines) does not depend on the day the tests run.
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# The day the spot-checked dossiers were archived.
ARCHIVED = dt.date(2026, 3, 10)


@pytest.fixture
def city(db):
    """150 acts in two districts; blob rows without content (the statistics read rows only)."""
    plan = CityPlan(districts=2, acts=150, seed=7, months=4, now=NOW, store_blobs=False)
    return build_city(plan)


@pytest.fixture
def scene(organisation):
    """Two districts' agencies, three officers, a custodian, a head, a subject and two cameras
    each, and the city administrator (rollup_scene.py)."""
    from .rollup_scene import make_scene

    return make_scene()


@pytest.fixture
def store(tmp_path, settings):
    """A blob store of the test's own (the reports are stored there)."""
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    return tmp_path / "blobs"


@pytest.fixture
def district_auditor(agency):
    """A legal auditor of 渝中区's agency: audits 渝中区 only."""
    return make_person("qianjun", "钱军", agency, Role.AUDITOR, certificate=False)


@pytest.fixture
def other_commission(organisation):
    """江北区's commission: must see nothing of 渝中区's checks and evaluations."""
    return make_person(
        "sunhong",
        "孙红",
        Agency.objects.get(code="d05-wjw"),
        Role.DISTRICT_COMMISSION,
        certificate=False,
    )


@pytest.fixture
def make_dossiers(db):
    """``make(agency, officers, subject, custodian, n, …)``: n frozen inspection dossiers."""
    counter = {"n": 0}

    def make(
        agency,
        officers,
        subject,
        custodian,
        n,
        *,
        archived_on=ARCHIVED,
        kind=Dossier.Kind.INSPECTION,
        status=Dossier.Status.FROZEN,
    ):
        dossiers = []
        start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=4)
        for _ in range(n):
            counter["n"] += 1
            number = counter["n"]
            act = create_act(
                officers[0],
                agency,
                officers,
                kind="inspection",
                started_at=start - dt.timedelta(minutes=number),
                ended_at=start + dt.timedelta(minutes=30),
                place=subject.address,
                subject=subject,
            )
            dossiers.append(
                Dossier.objects.create(
                    agency=agency,
                    act=act,
                    kind=kind,
                    number=f"{agency.short_name}卫检档〔2026〕{number}号",
                    title=f"{subject.name}监督检查案卷{number}",
                    retention_class=RetentionClass.Y10,
                    status=status,
                    custodian=custodian,
                    archived_on=archived_on if status == Dossier.Status.FROZEN else None,
                    frozen_at=timezone.now() if status == Dossier.Status.FROZEN else None,
                )
            )
        return dossiers

    return make
