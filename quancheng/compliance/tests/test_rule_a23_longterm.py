"""A23-longterm: an act marked as obstructed or objected to needs an approved long-term hold."""

import pytest

from quancheng.archive.models import Hold
from quancheng.cases.models import Act

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A23-longterm")]


def _hold(built, status, **on):
    return Hold.objects.create(
        agency=built.agency,
        reason=Hold.Reason.OBSTRUCTION,
        note="当事人阻挠检查",
        status=status,
        requested_by=built.officer,
        **(on or {"act": built.act}),
    )


def test_fires_on_an_obstructed_act_without_an_approved_hold(scene):
    built = scene()
    marker = built.mark(built.main, "obstruction", 1200)
    hits = built.hits("A23-longterm")
    assert [h.key for h in hits] == ["hold"]
    assert hits[0].params["state"] == "未申请长期保存，机构负责人也未决定不适用"
    assert hits[0].evidence["markers"] == [marker.pk]
    hold = _hold(built, Hold.Status.REQUESTED)
    assert built.hits("A23-longterm")[0].params["state"] == "长期保存申请尚待机构负责人批准"
    hold.status = Hold.Status.REFUSED
    hold.save()
    assert built.hits("A23-longterm")[0].params["state"] == (
        "长期保存申请未获批准，机构负责人也未决定不适用"
    )


def test_a_party_objection_counts_too(scene):
    built = scene()
    built.mark(built.main, "objection", 1800)
    assert "当事人异议" in built.hits("A23-longterm")[0].params["circumstance"]


def test_silent_without_such_markers_or_with_an_approved_hold_on_the_act_or_its_case(scene, case):
    built = scene()
    assert built.hits("A23-longterm") == []
    built.mark(built.main, "obstruction", 1200)
    hold = _hold(built, Hold.Status.ACTIVE)
    assert built.hits("A23-longterm") == []
    hold.status = Hold.Status.LIFTED
    hold.save()
    Act.objects.filter(pk=built.act.pk).update(case=case)  # the act joins the case
    _hold(built, Hold.Status.LIFT_REQUESTED, case=case)
    assert built.hits("A23-longterm") == []


def test_a_refused_hold_leaves_a_finding_even_without_a_marker(scene):
    built = scene()
    _hold(built, Hold.Status.REFUSED)
    hits = built.hits("A23-longterm")
    assert [h.key for h in hits] == ["hold"]
    assert "拒绝、逃避、阻碍执法" in hits[0].params["circumstance"]


def test_the_heads_not_applicable_decision_resolves_the_marked_circumstance(scene, head):
    from quancheng.archive.longterm import waive_longterm

    built = scene()
    built.mark(built.main, "obstruction", 1200)
    _hold(built, Hold.Status.REFUSED)
    waive_longterm(head, built.act, reason="当事人仅询问程序，不构成阻碍执法")
    assert built.hits("A23-longterm") == []
    built.mark(built.main, "mass_incident", 1300)  # a new circumstance needs its own decision
    assert "群体性事件" in built.hits("A23-longterm")[0].params["circumstance"]
