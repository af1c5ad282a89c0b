"""Dossier services: assembling, freezing, supplements, refusals and their ledger events."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from quancheng.archive import dossiers
from quancheng.archive.config import apply_config
from quancheng.archive.models import Dossier, DossierEntry
from quancheng.cases.models import Case
from quancheng.conftest import make_person
from quancheng.ledger.models import Event
from quancheng.ledger.services import verify_chain
from quancheng.orgs.models import Role
from quancheng.records.items import create_document
from quancheng.records.models import Document, Segment
from quancheng.records.services import blob_store, register_blob

from .dossier_scene import NOW, act_of, closed_case, hours, lone_inspection, supplement
from .dossier_scene import blob as blob_of


@pytest.fixture(autouse=True)
def _store_and_clock(settings, tmp_path):
    settings.VAR_DIR = str(tmp_path)
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scene(officer, colleague, subject):
    return closed_case(officer, colleague, subject)


def events(action, obj):
    return list(Event.objects.for_object(obj).filter(action=action))


def test_assembling_a_closed_case_puts_every_record_in_table_order(scene, custodian):
    dossier = dossiers.assemble_dossier(custodian, case=scene.case)

    entries = list(dossier.entries.order_by("position"))
    assert [e.position for e in entries] == list(range(1, len(scene.expected) + 1))
    assert len(entries) == len(scene.expected)
    for entry, (section, text) in zip(entries, scene.expected, strict=True):
        assert entry.section == section
        assert text in entry.title, (entry.title, text)
    # The two 现场笔录 by the time they record; the answered finding carries its answer.
    first, second = (Document.objects.get(pk=e.item_id) for e in entries[:2])
    assert first.written_started_at == hours(0) and second.written_started_at == hours(3)
    assert "答复：门头已在现场照片中记录" in entries[-1].title
    assert all(e.supplement is None for e in entries)


def test_assembly_numbers_the_dossier_and_takes_the_class_from_the_configuration(
    scene, custodian, officer, colleague, subject, city_admin
):
    dossier = dossiers.assemble_dossier(custodian, case=scene.case)
    assert dossier.number == "渝中档〔2026〕1号"
    assert dossier.kind == Dossier.Kind.PENALTY_GENERAL
    assert dossier.retention_class == "30y"
    assert dossier.custodian == custodian
    assert dossier.status == Dossier.Status.ASSEMBLING
    assert dossier.title.startswith(subject.name)
    (event,) = events("dossier.assembled", dossier)
    assert event.actor == custodian
    assert '"number":"渝中档〔2026〕1号"' in event.body

    apply_config(city_admin, {"inspection": "permanent"})
    act = act_of(officer, colleague, subject, "inspection", hours(50))
    second = dossiers.assemble_dossier(custodian, act=act)
    assert second.number == "渝中档〔2026〕2号"
    assert (second.kind, second.retention_class) == ("inspection", "permanent")


def test_a_case_decided_on_the_spot_is_a_summary_procedure_dossier(
    officer, colleague, subject, custodian
):
    scene = closed_case(officer, colleague, subject, close_it=False)
    Document.objects.filter(doc_type="行政处罚决定书").update(doc_type="当场行政处罚决定书")
    assert dossiers.suggested_kind(case=scene.case) == Dossier.Kind.PENALTY_SUMMARY
    Document.objects.filter(doc_type="现场笔录").update(doc_type="行政处罚决定书")
    assert dossiers.suggested_kind(case=scene.case) == Dossier.Kind.PENALTY_GENERAL


def test_freezing_fixes_the_retention_and_moves_the_case_to_archived(scene, custodian):
    dossier = dossiers.assemble_dossier(custodian, case=scene.case)
    dossier = dossiers.freeze_dossier(custodian, dossier)

    dossier.refresh_from_db()
    assert dossier.status == Dossier.Status.FROZEN
    assert dossier.archived_on == dt.date(2026, 11, 20)
    assert dossier.retain_until == dt.date(2056, 11, 20)
    assert dossier.frozen_at is not None
    assert Case.objects.get(pk=scene.case.pk).stage == Case.Stage.ARCHIVED
    # The table of contents is stored as a PDF blob.
    with blob_store().open(dossier.toc_blob_id) as f:
        assert f.read(5) == b"%PDF-"
    (frozen,) = events("dossier.frozen", dossier)
    staged = Event.objects.for_object(scene.case).filter(action="case.stage_changed")
    staged = staged.order_by("seq").last()
    assert '"to":"archived"' in staged.body
    assert staged.seq < frozen.seq
    assert f'"toc_sha256":"{dossier.toc_blob_id}"' in frozen.body
    assert verify_chain() is None


def test_a_permanent_dossier_has_no_end_of_retention(officer, colleague, subject, custodian):
    act = lone_inspection(officer, colleague, subject)
    dossier = dossiers.assemble_dossier(custodian, act=act, kind="inspection")
    Dossier.objects.filter(pk=dossier.pk).update(retention_class="permanent")
    dossier = dossiers.freeze_dossier(custodian, dossier)
    assert dossier.retain_until is None


def test_freezing_an_empty_dossier_is_refused(officer, colleague, subject, custodian):
    act = act_of(officer, colleague, subject, "inspection", hours(0))
    dossier = dossiers.assemble_dossier(custodian, act=act)
    with pytest.raises(ValidationError, match="案卷中没有任何材料"):
        dossiers.freeze_dossier(custodian, dossier)


def test_a_frozen_dossier_changes_only_by_a_supplement(scene, custodian, officer, head):
    dossier = dossiers.freeze_dossier(
        custodian, dossiers.assemble_dossier(custodian, case=scene.case)
    )
    before = list(dossier.entries.values_list("pk", "position", "item_kind", "item_id"))
    toc_before = dossier.toc_blob_id

    with pytest.raises(ValidationError, match="案卷已归档，不能修改"):
        dossiers.refresh_dossier(custodian, dossier)
    with pytest.raises(ValidationError, match="案卷已归档"):
        dossiers.freeze_dossier(custodian, dossier)

    late = scene.document(officer, "送达回执", 40)
    late_av = scene.segment(officer, 41, "late.mp4")
    assert {i.ref for i in dossiers.candidates(dossier)} == {
        ("document", late.pk),
        ("segment", late_av.pk),
    }
    with pytest.raises(ValidationError, match="请填写补充归档的原因"):
        dossiers.request_supplement(custodian, dossier, " ", [("document", late.pk)])
    with pytest.raises(ValidationError, match="不属于本案卷"):
        dossiers.request_supplement(custodian, dossier, "补充", [("document", 999999)])
    with pytest.raises(ValidationError, match="已在卷内"):
        dossiers.request_supplement(custodian, dossier, "补充", [before[0][2:]])

    added_one = supplement(
        custodian,
        head,
        dossier,
        "送达回执于归档后退回",
        [("segment", late_av.pk), ("document", late.pk)],
    )
    assert added_one.sequence == 1
    # The original entries are untouched; the new ones follow the last, in table order.
    assert (
        list(
            dossier.entries.filter(supplement=None).values_list(
                "pk", "position", "item_kind", "item_id"
            )
        )
        == before
    )
    added = list(added_one.entries.order_by("position"))
    assert [(e.position, e.item_kind, e.item_id) for e in added] == [
        (len(before) + 1, "document", late.pk),
        (len(before) + 2, "segment", late_av.pk),
    ]
    # The sealed table of contents stays; the supplement carries its own.
    dossier.refresh_from_db()
    assert dossier.toc_blob_id == toc_before
    assert added_one.toc_blob_id not in (None, toc_before)
    assert dossiers.current_toc(dossier).pk == added_one.toc_blob_id
    (event,) = events("dossier.supplemented", dossier)
    assert "送达回执于归档后退回" in event.body

    again = scene.document(officer, "催告书", 42)
    second = supplement(custodian, head, dossier, "催告", [("document", again.pk)])
    assert second.sequence == 2
    assert second.entries.get().position == len(before) + 3


def test_a_supplement_needs_a_frozen_dossier(scene, custodian):
    dossier = dossiers.assemble_dossier(custodian, case=scene.case)
    with pytest.raises(ValidationError, match="案卷尚未归档"):
        dossiers.request_supplement(custodian, dossier, "补充", [])


def test_refreshing_while_assembling_takes_in_new_records(scene, custodian, officer):
    dossier = dossiers.assemble_dossier(custodian, case=scene.case)
    late = scene.document(officer, "现场笔录", 5)
    Segment.objects.filter(original_filename="untimed.mp4").update(act=None, case=None)
    dossiers.refresh_dossier(custodian, dossier)
    refs = list(dossier.entries.order_by("position").values_list("item_kind", "item_id"))
    assert refs[2] == ("document", late.pk)
    assert len(refs) == len(scene.expected)
    (event,) = events("dossier.refreshed", dossier)
    assert f'"added":[["document",{late.pk}]]' in event.body


def test_a_case_not_closed_is_refused(officer, colleague, subject, custodian):
    scene = closed_case(officer, colleague, subject, close_it=False)
    with pytest.raises(ValidationError, match="案件尚未结案（当前阶段：立案），不能组卷"):
        dossiers.assemble_dossier(custodian, case=scene.case)
    assert not Dossier.objects.exists()
    assert not DossierEntry.objects.exists()


def test_a_second_dossier_of_the_same_case_is_refused(scene, custodian):
    first = dossiers.assemble_dossier(custodian, case=scene.case)
    with pytest.raises(ValidationError, match=f"该案件已有案卷（{first.number}），不能重复组卷"):
        dossiers.assemble_dossier(custodian, case=scene.case)
    dossiers.freeze_dossier(custodian, first)
    with pytest.raises(ValidationError, match=r"不能重复组卷|尚未结案"):
        dossiers.assemble_dossier(custodian, case=scene.case)
    assert Dossier.objects.count() == 1


def test_only_the_districts_custodian_may_assemble(scene, other_agency, officer, head):
    outsider_custodian = make_person(
        "qianyu", "钱宇", other_agency, Role.CUSTODIAN, certificate=False
    )
    with pytest.raises(Http404):  # another district's case does not exist for them
        dossiers.assemble_dossier(outsider_custodian, case=scene.case)
    for person in (officer, head):
        with pytest.raises(PermissionDenied, match="只有本机构的记录管理专人可以组卷"):
            dossiers.assemble_dossier(person, case=scene.case)
    assert not Dossier.objects.exists()
    assert not Event.objects.filter(action__startswith="dossier.").exists()


def test_another_districts_custodian_may_not_freeze_or_supplement(scene, custodian, other_agency):
    outsider_custodian = make_person(
        "qianyu", "钱宇", other_agency, Role.CUSTODIAN, certificate=False
    )
    dossier = dossiers.assemble_dossier(custodian, case=scene.case)
    with pytest.raises(Http404):
        dossiers.freeze_dossier(outsider_custodian, dossier)
    dossiers.freeze_dossier(custodian, dossier)
    with pytest.raises(Http404):
        dossiers.request_supplement(outsider_custodian, dossier, "补充", [])


def test_a_lone_finished_inspection_has_its_own_dossier(officer, colleague, subject, custodian):
    act = lone_inspection(officer, colleague, subject)
    dossier = dossiers.assemble_dossier(custodian, act=act)
    assert (dossier.kind, dossier.retention_class, dossier.act) == ("inspection", "10y", act)
    titles = list(dossier.entries.values_list("section", flat=True))
    assert titles == ["document", "av"]
    dossier = dossiers.freeze_dossier(custodian, dossier)
    assert dossier.retain_until == dt.date(2036, 11, 20)
    assert events("dossier.frozen", dossier)


def test_acts_that_cannot_have_their_own_dossier(scene, officer, colleague, subject, custodian):
    with pytest.raises(ValidationError, match="请在案件结案后随案件组卷"):
        dossiers.assemble_dossier(custodian, act=scene.inspection)
    hearing = act_of(officer, colleague, subject, "hearing", hours(0))
    with pytest.raises(ValidationError, match="只有未立案的监督检查可以单独组卷"):
        dossiers.assemble_dossier(custodian, act=hearing)
    later = act_of(officer, colleague, subject, "inspection", NOW - dt.timedelta(minutes=30))
    with pytest.raises(ValidationError, match="监督检查尚未结束"):
        dossiers.assemble_dossier(custodian, act=later)
    lone = act_of(officer, colleague, subject, "inspection", hours(0))
    with pytest.raises(ValidationError, match="只能作为“监督检查”类案卷"):
        dossiers.assemble_dossier(custodian, act=lone, kind="penalty_general")


def test_the_queue_lists_what_waits_for_a_frozen_dossier(
    scene, officer, colleague, subject, custodian, outsider
):
    lone = act_of(officer, colleague, subject, "inspection", hours(0))
    act_of(officer, colleague, subject, "hearing", hours(0))
    assert list(dossiers.waiting_cases(custodian)) == [scene.case]
    assert list(dossiers.waiting_acts(custodian)) == [lone]
    assert not dossiers.waiting_cases(outsider).exists()

    dossier = dossiers.assemble_dossier(custodian, case=scene.case)
    assert list(dossiers.waiting_cases(custodian)) == [scene.case]  # assembling, not frozen
    dossiers.freeze_dossier(custodian, dossier)
    assert not dossiers.waiting_cases(custodian).exists()


def test_retention_runs_whole_years_from_the_archive_date():
    assert dossiers.retain_until(dt.date(2026, 3, 1), "10y") == dt.date(2036, 3, 1)
    assert dossiers.retain_until(dt.date(2028, 2, 29), "30y") == dt.date(2058, 2, 28)
    assert dossiers.retain_until(dt.date(2028, 2, 29), "permanent") is None


def test_the_table_of_contents_lists_the_entries(scene, custodian):
    dossier = dossiers.assemble_dossier(custodian, case=scene.case)
    from django.template.loader import render_to_string

    html = render_to_string("archive/dossier_toc_pdf.html", dossiers.toc_context(dossier))
    assert "卷内目录" in html and dossier.number in html
    for entry in dossier.entries.all():
        assert entry.title.replace("“", "").split()[0] in html


def test_pages_are_counted_from_the_pdf_and_a_scan_is_one_page(
    officer, colleague, subject, custodian
):
    from weasyprint import HTML

    act = lone_inspection(officer, colleague, subject)  # its 现场笔录 is not a real PDF
    pdf = HTML(string='<p>第一页</p><p style="break-before: page">第二页</p>').write_pdf()
    info = blob_store().put(io.BytesIO(pdf))
    for doc_type, file_kind, blob in (
        ("询问记录", "pdf", register_blob(info, act.agency)),
        ("物品清单", "image", blob_of(act.agency)),
    ):
        create_document(
            officer,
            agency=act.agency,
            blob=blob,
            source="upload",
            act=act,
            file_kind=file_kind,
            doc_type=doc_type,
        )
    dossier = dossiers.assemble_dossier(custodian, act=act)
    pages = dict(dossier.entries.filter(section="document").values_list("title", "pages"))
    assert pages == {"现场笔录": None, "询问记录": 2, "物品清单": 1}


def test_a_class_change_in_the_configuration_reclassifies_frozen_dossiers(
    scene, custodian, city_admin
):
    from quancheng.archive.models import ItemRetention
    from quancheng.archive.retention import preview_change

    dossier = dossiers.freeze_dossier(
        custodian, dossiers.assemble_dossier(custodian, case=scene.case)
    )
    dossier.refresh_from_db()
    assert dossier.retention_class == "30y"
    changes = {dossier.kind: "10y"}
    count, _ = preview_change(classes=changes)
    assert count > 0  # the preview says the dossier's items would change

    apply_config(city_admin, changes)

    dossier.refresh_from_db()
    assert (dossier.retention_class, dossier.retain_until) == ("10y", dt.date(2036, 11, 20))
    (event,) = events("dossier.reclassified", dossier)
    assert '"retention_class":["30y","10y"]' in event.body
    followed = ItemRetention.objects.filter(retain_until=dt.date(2036, 11, 20))
    assert followed.count() == count  # what the preview showed is what changed
    assert preview_change(classes=changes)[0] == 0


def test_freezing_makes_the_items_follow_the_dossier(scene, custodian):
    from quancheng.archive.models import ItemRetention

    dossier = dossiers.freeze_dossier(
        custodian, dossiers.assemble_dossier(custodian, case=scene.case)
    )
    refs = set(dossier.entries.values_list("item_kind", "item_id"))
    records = {(k, i) for k, i in refs if k in ("segment", "document", "datarecord")}
    rows = ItemRetention.objects.filter(retain_until=dt.date(2056, 11, 20), pending=False)
    assert records and records <= set(rows.values_list("item_kind", "item_id"))
