"""The catalogue as data: the seed, common and platform types; loading; definitions checked."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from quancheng.documents.catalogue import check_definition, load_catalogue, types_for_act_kind
from quancheng.documents.models import DocumentType
from quancheng.ledger.models import Event

SEED = [
    "现场笔录",
    "责令（限期）改正通知书",
    "卫生监督意见书",
    "询问记录",
    "听证记录",
    "合议记录",
    "行政处罚事先告知书",
    "行政处罚决定书",
    "催告书",
    "行政处罚听证通知书",
    "查封、扣押决定书",
    "证据先行登记保存决定书",
    "行政控制决定书",
]
COMMON = ["送达回执", "陈述和申辩笔录", "听证意见书", "当场行政处罚决定书", "物品清单", "结案报告"]
PLATFORM = ["中断情况说明", "不予录像工作记录", "逾期登记情况说明"]


@pytest.mark.django_db
def test_the_command_loads_every_seed_common_and_platform_type(capsys):
    call_command("load_document_catalogue")
    names = set(DocumentType.objects.values_list("name", flat=True))
    assert set(SEED + COMMON + PLATFORM) <= names
    assert Event.objects.filter(action="documenttype.created").count() == len(names)
    record = DocumentType.objects.get(name="现场笔录")
    assert record.has_times and record.field("started_at")["type"] == "datetime"
    assert {"officers", "party"} <= set(record.signers)
    assert "inspection" in record.act_kinds
    call_command("load_document_catalogue")
    assert "0 created" in capsys.readouterr().out


@pytest.mark.django_db
def test_loading_again_keeps_an_administrators_edit_unless_replaced(catalogue):
    record = DocumentType.objects.get(name="现场笔录")
    record.fields = [*record.fields, {"name": "weather", "label": "天气", "type": "text"}]
    record.save()
    assert load_catalogue().updated == []
    assert DocumentType.objects.get(pk=record.pk).field("weather")
    assert load_catalogue(replace=True).updated
    record.refresh_from_db()
    assert record.field("weather") is None and record.version == 2


@pytest.mark.django_db
def test_types_for_an_act_kind(catalogue):
    names = {t.name for t in types_for_act_kind("inspection")}
    assert {"现场笔录", "卫生监督意见书", "中断情况说明"} <= names
    assert "听证记录" not in names


def test_a_malformed_definition_names_each_problem():
    with pytest.raises(ValidationError) as e:
        check_definition(
            [{"name": "a", "label": "甲", "type": "colour"}, {"name": "a", "label": "乙"}],
            ["officers", "notary"],
            ["inspection", "picnic"],
            has_times=True,
        )
    text = " ".join(e.value.messages)
    for part in ("colour", "字段名重复", "started_at", "notary", "picnic"):
        assert part in text


@pytest.mark.django_db
def test_the_city_administrator_edits_a_type_in_the_admin(client, organisation, catalogue):
    from quancheng.conftest import make_person
    from quancheng.orgs.models import Role

    admin = make_person("root", "管理员", None, Role.SYSTEM_ADMIN, certificate=False, is_staff=True)
    client.force_login(admin)
    record = DocumentType.objects.get(name="催告书")
    url = f"/admin/documents/documenttype/{record.pk}/change/"
    assert client.get(url).status_code == 200
    import json

    form = {
        "code": record.code,
        "name": record.name,
        "origin": record.origin,
        "numbered": "on",
        "category": "",
        "nature": "催",
        "fields": json.dumps([*record.fields, {"name": "x", "label": "补充", "type": "text"}]),
        "signers": json.dumps(record.signers),
        "act_kinds": json.dumps(record.act_kinds),
        "active": "on",
    }
    r = client.post(url, form)
    assert r.status_code == 302, r.content.decode()[:2000]
    record.refresh_from_db()
    assert record.field("x") and record.version == 2
    assert Event.objects.filter(action="documenttype.updated", object_id=str(record.pk)).exists()
    form["fields"] = json.dumps([{"name": "y", "label": "坏", "type": "colour"}])
    r = client.post(url, form)
    assert r.status_code == 200 and "colour" in r.content.decode()
