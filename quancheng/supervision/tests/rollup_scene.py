"""Two districts' people, subjects and cameras at a fixed moment, for the rollup and dashboard
tests; acts made through the services."""

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from quancheng.cases.models import Act
from quancheng.cases.services import create_act
from quancheng.conftest import credit_code, make_person
from quancheng.orgs.models import Agency, Role
from quancheng.records.tests.ingest_scene import camera
from quancheng.subjects.models import Subject

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=SHANGHAI)
KINDS = ["inspection", "onsite", "interrogation"]


@dataclasses.dataclass
class Scene:
    agencies: list
    officers: list  # per agency: three officers
    custodians: list
    heads: list
    subjects: list
    devices: list  # per agency: two cameras
    city_admin: object


def make_scene():
    """Two districts' agencies with three officers, a custodian, a head, a subject and two
    cameras each, and the city administrator; made at NOW (certificates valid then)."""
    with time_machine.travel(NOW, tick=False):
        agencies = [Agency.objects.get(code="d03-zf"), Agency.objects.get(code="d05-zf")]
        officers, custodians, heads, subjects, devices = [], [], [], [], []
        for i, agency in enumerate(agencies):
            people = [make_person(f"r{i}o{n}", f"执法{i}{n}", agency) for n in range(3)]
            officers.append(people)
            custodians.append(
                make_person(f"r{i}c", f"专管{i}", agency, Role.CUSTODIAN, certificate=False)
            )
            heads.append(make_person(f"r{i}h", f"负责{i}", agency, Role.HEAD))
            subjects.append(
                Subject.objects.create(
                    agency=agency,
                    name=f"对象{i}",
                    kind="public_place",
                    address=f"地址{i}",
                    credit_code=credit_code(i + 11),
                )
            )
            devices.append(
                [camera(custodians[i], agency, f"R{i}-{n}", officer=people[n]) for n in range(2)]
            )
        city_admin = make_person(
            "r-city",
            "市管理员",
            Agency.objects.get(code="cq-wjw"),
            Role.CITY_ADMIN,
            certificate=False,
        )
    return Scene(agencies, officers, custodians, heads, subjects, devices, city_admin)


def new_act(scene, a: int, kind: str, days_ago: int, pair: tuple[int, int]) -> Act:
    officers = [scene.officers[a][pair[0]], scene.officers[a][pair[1]]]
    start = (NOW - dt.timedelta(days=days_ago, hours=3)).replace(microsecond=0)
    return create_act(
        officers[0],
        scene.agencies[a],
        officers,
        kind=kind,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=40),
        place=scene.subjects[a].address,
        subject=scene.subjects[a],
    )
