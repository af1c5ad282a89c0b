"""The party's copy pages: print (A4 / 80 mm), download for the printer, record the service."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from quancheng.documents.models import DocumentDraft, DraftSignature, PartyCopy
from quancheng.ledger.models import Event

from .conftest import doc_type

NOW = dt.datetime(2026, 12, 6, 15, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


def _final(act, officer, name, data, number):
    """A finalised draft as finalising leaves it (its rendering is tested elsewhere)."""
    draft = DocumentDraft.objects.create(
        agency=act.agency,
        act=act,
        doc_type=doc_type(name),
        data=data,
        status="final",
        number=number,
        created_by=officer,
    )
    DraftSignature.objects.create(
        draft=draft,
        role="officer",
        officer=officer,
        name=officer.full_name,
        data_sha256="0" * 64,
        recorded_by=officer,
    )
    return draft


@pytest.mark.django_db
def test_an_officer_prints_downloads_and_serves_the_party_copy_an_outsider_sees_nothing(
    client, officer, outsider, act, certified
):
    draft = _final(act, officer, "卫生监督意见书", {"opinion": "完善消毒记录"}, "2026—001")
    receipt = _final(act, officer, "送达回执", {"served_document": "卫生监督意见书 2026—001"}, "")
    client.force_login(outsider)
    assert (
        client.post(f"/documents/drafts/{draft.pk}/party-copy/", {"layout": "a4"}).status_code
        == 404
    )
    client.force_login(officer)
    page = client.post(
        f"/documents/drafts/{draft.pk}/party-copy/", {"layout": "thermal80"}, follow=True
    ).content.decode()
    assert "已生成当事人联（80毫米热敏打印）" in page
    copy = PartyCopy.objects.get()
    r = client.post(f"/documents/drafts/{draft.pk}/party-copy/", {"layout": "A5"}, follow=True)
    assert "版式应为 A4 或 80毫米热敏打印" in r.content.decode()

    r = client.get(f"/documents/party-copies/{copy.pk}.pdf")
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF")
    assert Event.objects.filter(action="documentdraft.party_copy_downloaded").count() == 1
    client.force_login(outsider)
    assert client.get(f"/documents/party-copies/{copy.pk}.pdf").status_code == 404
    assert (
        client.post(
            f"/documents/party-copies/{copy.pk}/serve/", {"receipt": receipt.pk}
        ).status_code
        == 404
    )

    client.force_login(officer)
    page = client.get(draft.get_absolute_url()).content.decode()
    assert "当事人联" in page and "登记送达" in page
    page = client.post(
        f"/documents/party-copies/{copy.pk}/serve/", {"receipt": receipt.pk}, follow=True
    ).content.decode()
    assert "已登记当事人联随送达回执" in page
    copy.refresh_from_db()
    assert copy.receipt == receipt
    assert Event.objects.filter(action="documentdraft.party_copy_served").count() == 1
