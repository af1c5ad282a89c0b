"""Scanned documents read: a 现场笔录 rendered from the catalogue, scanned to PNG, read back,
proposed, confirmed, and compared with the AV (第十五条第（四）项)."""

import datetime as dt
import io
import json
import subprocess
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.urls import reverse

from quancheng.api.tests.client import assert_error
from quancheng.content.models import ScanReading
from quancheng.content.scans import read_scan
from quancheng.content.tasks import read_document_scan
from quancheng.documents.catalogue import BUNDLED, load_catalogue
from quancheng.documents.fields import display_value
from quancheng.documents.render import render_template_pdf
from quancheng.ledger.models import Event
from quancheng.records.items import create_document
from quancheng.records.services import blob_store, register_blob

from .conftest import START, at

NUMBER = "渝中卫医现〔2026〕12号"
WRITTEN = (START, at(2026, 11, 16, 10, 0))  # the act (and its camera) runs 09:00–10:00
CONFIRMED_AT = at(2026, 11, 16, 12, 0)


def _rendered_pdf() -> bytes:
    """The catalogue's 现场笔录 through the platform's own PDF template."""
    entry = next(
        e
        for e in json.loads(BUNDLED.read_text(encoding="utf-8"))["types"]
        if e["name"] == "现场笔录"
    )
    values = {
        "party": "重庆市渝中区解放碑口腔诊所",
        "party_address": "渝中区邹容路100号",
        "started_at": WRITTEN[0].isoformat(),
        "ended_at": WRITTEN[1].isoformat(),
        "place": "渝中区邹容路100号",
        "officers": "张伟、李娜",
        "recorder": "李娜",
        "findings": "现场检查诊疗场所，消毒记录齐全。",
    }
    rows = [{"field": f, "value": display_value(f, values.get(f["name"]))} for f in entry["fields"]]
    context = {
        "draft": SimpleNamespace(previous=None),
        "agency": SimpleNamespace(name="重庆市渝中区卫生健康综合行政执法支队"),
        "doc_type": SimpleNamespace(name=entry["name"], numbered=True),
        "number": NUMBER,
        "final": True,
        "rows": rows,
        "signatures": [],
    }
    return render_template_pdf("documents/pdf/document.html", context)


@pytest.fixture(scope="session")
def scans(tmp_path_factory):
    """The rendered document as a PNG scan (pdftoppm, 150 dpi, grey) and as an image-only PDF."""
    folder = tmp_path_factory.mktemp("scans")
    pdf = folder / "xianchang.pdf"
    pdf.write_bytes(_rendered_pdf())
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-png", "-singlefile", pdf, folder / "scan"],
        check=True,
    )
    png = folder / "scan.png"
    from PIL import Image

    image_pdf = folder / "image-only.pdf"
    with Image.open(png) as image:
        image.convert("RGB").save(image_pdf, "PDF", resolution=150)
    return {"png": png, "image_pdf": image_pdf, "text_pdf": pdf}


@pytest.fixture
def built(scene, clock):
    clock(CONFIRMED_AT)
    load_catalogue()
    built = scene(compliant=False)
    built.main = built.segment(*WRITTEN)  # the camera ran exactly when the document says
    return built


def _attach(built, path, file_kind, content_type):
    with open(path, "rb") as f:
        info = blob_store().put(f)
    with transaction.atomic():
        blob = register_blob(info, built.agency)
    return create_document(
        built.officer,
        agency=built.agency,
        blob=blob,
        source="upload",
        act=built.act,
        file_kind=file_kind,
        doc_type="现场笔录",
        content_type=content_type,
        original_filename=path.name,
    )


def _body(obj, action):
    return json.loads(Event.objects.for_object(obj).filter(action=action).get().body)


def test_png_scan_yields_number_and_times_for_confirmation(built, scans):
    document = _attach(built, scans["png"], "image", "image/png")
    reading = read_scan(document.pk)
    assert reading.status == ScanReading.Status.PROPOSED
    assert reading.proposed_number == NUMBER
    assert (reading.proposed_started_at, reading.proposed_ended_at) == WRITTEN
    # Proposed, never filled in silently.
    document.refresh_from_db()
    assert (document.number, document.written_started_at, document.written_ended_at) == (
        "",
        None,
        None,
    )
    body = _body(document, "document.scan_read")
    assert body["proposed_number"] == NUMBER and body["pages"] == 1
    # Until confirmed, A15-complete sees a document without times.
    [hit] = built.hits("A15-complete")
    assert hit.params["problem"] == "未记载起止时间"


def test_image_only_pdf_is_read_and_a_text_pdf_is_not(built, scans):
    image_pdf = _attach(built, scans["image_pdf"], "pdf", "application/pdf")
    reading = read_scan(image_pdf.pk)
    assert reading.proposed_number == NUMBER
    assert (reading.proposed_started_at, reading.proposed_ended_at) == WRITTEN
    text_pdf = _attach(built, scans["text_pdf"], "pdf", "application/pdf")
    assert read_scan(text_pdf.pk) is None
    assert read_document_scan.call(text_pdf.pk) == "not_a_scan"  # the worker's task
    assert not ScanReading.objects.filter(document=text_pdf).exists()


@pytest.mark.rule("A15-complete")
def test_confirmed_time_ten_minutes_off_raises_the_a15_finding(built, scans, client, officer):
    document = _attach(built, scans["png"], "image", "image/png")
    read_scan(document.pk)
    client.force_login(officer)
    url = reverse("content:scan_confirm", args=[document.pk])
    page = client.get(url).content.decode()
    assert NUMBER in page and "2026-11-16 09:00:00" in page
    assert Event.objects.for_object(document).filter(action="document.scan_viewed").exists()
    # The officer corrects the start: the paper says 09:10 (ten minutes after the camera).
    response = client.post(
        url,
        {"number": NUMBER, "started_at": "2026-11-16T09:10:00", "ended_at": "2026-11-16T10:00:00"},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.number == NUMBER
    assert document.written_started_at == START + dt.timedelta(minutes=10)
    body = _body(document, "document.scan_confirmed")
    assert body["corrected"] == ["written_started_at"]
    assert dt.datetime.fromisoformat(body["proposed"]["written_started_at"]) == START
    [hit] = built.hits("A15-complete")
    assert hit.evidence["difference_seconds"] == 600
    assert "相差600秒，允许120秒" in hit.params["problem"]


@pytest.mark.rule("A15-complete")
def test_confirmed_as_read_agrees_with_the_av(built, scans):
    from quancheng.content.scans import confirm_scan

    document = _attach(built, scans["png"], "image", "image/png")
    reading = read_scan(document.pk)
    confirm_scan(
        built.officer,
        document,
        number=reading.proposed_number,
        started_at=reading.proposed_started_at,
        ended_at=reading.proposed_ended_at,
    )
    assert built.hits("A15-complete") == []
    reading.refresh_from_db()
    assert reading.status == ScanReading.Status.CONFIRMED


def test_number_is_checked_against_the_register(built, scans, client, officer):
    document = _attach(built, scans["png"], "image", "image/png")
    read_scan(document.pk)
    _register_other(built, NUMBER)
    client.force_login(officer)
    url = reverse("content:scan_confirm", args=[document.pk])
    assert "已被本机构的其他文书使用" in client.get(url).content.decode()  # said before confirming
    response = client.post(url, {"number": NUMBER, "started_at": "", "ended_at": ""})
    assert response.status_code == 400
    assert "已被本机构的其他文书使用" in response.content.decode()
    document.refresh_from_db()
    assert document.number == ""
    assert not Event.objects.for_object(document).filter(action="document.scan_confirmed").exists()


def _register_other(built, number):
    info = blob_store().put(io.BytesIO(b"another paper document"))
    with transaction.atomic():
        blob = register_blob(info, built.agency)
    create_document(
        built.officer,
        agency=built.agency,
        blob=blob,
        source="upload",
        act=built.act,
        file_kind="pdf",
        doc_type="现场笔录",
        number=number,
    )


def test_scan_confirmation_api(built, scans, api_as, officer, outsider, commission):
    document = _attach(built, scans["png"], "image", "image/png")
    path = f"/documents/{document.pk}/scan-reading"
    api = api_as(officer)
    assert_error(api.get(path), 404, "not_read")
    read_scan(document.pk)
    read = api.get(path).json()
    assert read["proposed_number"] == NUMBER and read["status"] == "proposed"
    assert read["number"] == "" and read["number_problem"] == ""
    payload = {
        "number": "渝中卫医现2026-12",
        "started_at": "2026-11-16T09:00:00+08:00",
        "ended_at": "2026-11-16T10:00:00+08:00",
    }
    assert_error(api.post(f"{path}/confirmation", payload), 400, "number_format")
    payload["number"] = NUMBER
    assert_error(api_as(commission).post(f"{path}/confirmation", payload), 403, "forbidden")
    assert api_as(outsider).get(path).status_code == 404
    done = api.post(f"{path}/confirmation", payload)
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "confirmed" and done.json()["number"] == NUMBER
    assert built.hits("A15-complete") == []


def test_number_and_labelled_times_in_the_forms_ocr_returns():
    from quancheng.content import ocr
    from quancheng.content.scans import find_labelled_time, find_number, parse_written_time

    def line(text, x0, y0, x1, y1):
        return ocr.Line(text, 0.95, (x0, y0, x1, y1))

    assert find_number([line("渝中卫医现[2026]12号", 0, 0, 100, 20)])[0] == NUMBER
    assert find_number([line("渝中卫医现（2026）12 号", 0, 0, 100, 20)])[0] == NUMBER
    assert find_number([line("第 1 页 共 1 页", 0, 0, 100, 20)]) is None
    assert parse_written_time("2026年11月16日09时00分") == START
    assert parse_written_time("2026-11-16 9:00") == START
    assert parse_written_time("2026年13月16日 09时00分") is None
    # A table: the label in one cell, the value in the next on the same row.
    cells = [
        line("开始时间", 10, 100, 80, 120),
        line("2026年11月16日 09时00分", 300, 102, 500, 121),
        line("结束时间", 10, 130, 80, 150),
        line("2026年11月16日 10时00分", 300, 131, 500, 150),
    ]
    assert find_labelled_time(cells, ["开始时间"])[0] == WRITTEN[0]
    assert find_labelled_time(cells, ["结束时间"])[0] == WRITTEN[1]
    # Label and value read as one line.
    assert find_labelled_time([line("结束时间2026年11月16日10时00分", 0, 0, 9, 9)], ["结束时间"])
