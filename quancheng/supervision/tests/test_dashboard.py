"""The home dashboard's key figures (issue 18 point 4): completeness of the acts checked, the
acts not checked yet said as such, and each figure a link to exactly the rows it counts."""

import datetime as dt
import re

import time_machine

from quancheng.cases.models import Act
from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import Finding
from quancheng.orgs.devices import undocked_devices
from quancheng.orgs.models import Device
from quancheng.records.tests.ingest_scene import camera, make_segment

from .rollup_scene import NOW, new_act


def _value(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert match, element_id
    return match.group(1).strip()


def _link(html: str, element_id: str) -> str:
    match = re.search(rf'<a class="stat" href="([^"]+)" id="{element_id}"', html)
    assert match, element_id
    return match.group(1).replace("&amp;", "&")


def _listed(client, url: str) -> set[int]:
    page = client.get(url).context["page"]
    return {row.pk for row in page.paginator.object_list}


def _month_of_acts(scene):
    """This month in the head's district: acts checked (with and without problems) and acts not
    checked yet; older acts with problems; a camera silent for two months."""
    with time_machine.travel(NOW - dt.timedelta(days=70), tick=False):
        camera(scene.custodians[0], scene.agencies[0], "SILENT-1")
    with time_machine.travel(NOW, tick=False):
        checked = [new_act(scene, 0, "inspection", days, (0, 1)) for days in (2, 5, 9)]
        gap = checked[0]
        for minutes in (5, 25):  # two clips with an unexplained interruption between them
            make_segment(
                scene.custodians[0],
                scene.agencies[0],
                start=gap.started_at + dt.timedelta(minutes=minutes),
                seconds=120,
                officer=scene.officers[0][0],
                device=scene.devices[0][0],
                act=gap,
            )
        older = new_act(scene, 0, "onsite", 40, (1, 2))  # last month, never registered
        for act in [*checked, older]:
            evaluate_act(act)
        for days in (1, 3):
            new_act(scene, 0, "inspection", days, (0, 2))  # not checked yet
        new_act(scene, 1, "inspection", 1, (0, 1))  # another district
    return checked


def test_completeness_counts_checked_acts_and_says_how_many_are_not(scene, client):
    _month_of_acts(scene)
    head = scene.heads[0]
    client.force_login(head)
    with time_machine.travel(NOW, tick=False):
        html = client.get("/").content.decode()
    june = Act.objects.visible_to(head).filter(started_at__gte=NOW.replace(day=1, hour=0))
    checked = june.filter(compliance__isnull=False)
    complete = checked.filter(compliance__status="complete").count()
    assert (june.count(), checked.count()) == (5, 3)
    assert _value(html, "stat-acts-month") == "5"
    assert _value(html, "stat-unchecked") == "2"
    assert "2 项尚未检查" in html
    # Of the 3 acts checked, not of the 5 acts: the 2 not checked are not "incomplete".
    assert _value(html, "stat-complete-rate") == f"{100 * complete / 3:.1f}%"


def test_each_figure_links_to_exactly_the_rows_it_counts(scene, client):
    _month_of_acts(scene)
    head = scene.heads[0]
    client.force_login(head)
    with time_machine.travel(NOW, tick=False):
        html = client.get("/").content.decode()
        visible = Act.objects.visible_to(head)
        june = visible.filter(started_at__gte=NOW.replace(day=1, hour=0))
        active = Finding.objects.active()
        expected = {
            "acts": set(june.values_list("pk", flat=True)),
            "complete": set(
                june.filter(compliance__status="complete").values_list("pk", flat=True)
            ),
            "unchecked": set(june.filter(compliance__isnull=True).values_list("pk", flat=True)),
            "missing": set(
                visible.filter(compliance__status="mandatory_missing").values_list("pk", flat=True)
            ),
            "gaps": set(
                visible.filter(
                    pk__in=active.filter(rule_id="A11-gap").values("act_id")
                ).values_list("pk", flat=True)
            ),
            "late": set(
                visible.filter(
                    pk__in=active.filter(rule_id="A21-deadline").values("act_id")
                ).values_list("pk", flat=True)
            ),
            "undocked": set(
                undocked_devices(Device.objects.visible_to(head)).values_list("pk", flat=True)
            ),
        }
        figures = {
            "acts": "stat-acts-month",
            "unchecked": "stat-unchecked",
            "missing": "stat-missing",
            "gaps": "stat-gaps",
            "late": "stat-late",
            "undocked": "stat-undocked",
        }
        for name, rows in expected.items():
            listed = _listed(client, _link(html, f"link-{name}"))
            assert listed == rows, name
            if name in figures:
                assert _value(html, figures[name]) == str(len(rows)), name
    # The scene has something behind each problem figure (the test is not vacuous).
    assert all(expected[name] for name in ("acts", "unchecked", "missing", "late", "undocked"))
