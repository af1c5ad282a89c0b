"""Chinese everywhere a person reads (issue 18): every page, for every role, and every PDF
template, without an untranslated internal name (a dotted ledger action, a snake_case enum value,
an English sentence). See untranslated.py for what counts as visible text.

The pages are those of the authorization matrix (every GET route of web/routes.py, its ids filled
with the matrix's world: an act, a case, a subject, a segment, a draft, a device), and the detail
pages the world has nothing for (dossiers, transfers, requests, extractions, provisions, holds,
disposals, spot checks, evaluations, documents, data records), filled from a district's year of
the demo (DEMO_PAGES).
"""

from __future__ import annotations

import re
import subprocess

import pytest
from django.test import Client

from quancheng.web.tests.test_authorization_matrix import HEAVY, LIGHT_CALLERS, _routes
from quancheng.web.tests.untranslated import code_text, untranslated, visible_text

pytestmark = pytest.mark.django_db
# Not pages: files, media, feeds a machine reads.
NOT_PAGES = ("application/json", "video/", "image/", "audio/", "application/zip", "text/csv")
PDF_TEMPLATES = [
    "documents/pdf/document.html",
    "documents/pdf/thermal80.html",
    "access/extraction_note_pdf.html",
    "archive/dossier_toc_pdf.html",
    "archive/fourchecks_pdf.html",
    "supervision/spot_report.html",
]


class Stub:
    """Any value a PDF template asks for: every attribute, item and call is another Stub, so the
    template's own words render around sample values."""

    def __init__(self, depth=0):
        self.depth = depth

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Stub(self.depth + 1)

    def __getitem__(self, key):
        return Stub(self.depth + 1)

    def __call__(self, *args, **kwargs):
        return Stub(self.depth + 1)

    def __iter__(self):
        return iter([Stub(self.depth + 1)] if self.depth < 3 else [])

    def __len__(self):
        return 1

    def __str__(self):
        return "示例"

    def __int__(self):
        return 1

    def __float__(self):
        return 1.0

    def __lt__(self, other):
        return False

    __gt__ = __le__ = __ge__ = __lt__


FOR_UNPACKING = re.compile(r"{%\s*for\s+([\w\s,]+?)\s+in\s+(\w+)\s*%}")


def stub_context(template: str) -> dict:
    """Every name the template's source mentions, as a Stub (a loop unpacking a name gets tuples
    of as many Stubs as it has variables)."""
    from django.template.loader import get_template

    source = get_template(template).template.source
    context = {name: Stub() for name in set(re.findall(r"[A-Za-z_]\w*", source))}
    for names, seq in FOR_UNPACKING.findall(source):
        if "," in names:
            context[seq] = [tuple(Stub(1) for _ in names.split(","))]
    return context


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-q", "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def _text(response) -> str | None:
    kind = response.get("Content-Type", "")
    if response.status_code != 200 or kind.startswith(NOT_PAGES):
        return None
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if kind.startswith("application/pdf"):
        return pdf_text(body)
    if kind.startswith("text/html"):
        return visible_text(body.decode())
    return None


def test_the_check_finds_what_people_should_not_read():
    page = (
        "<p>账本事件 extraction.note_made</p><dl><dt>reason</dt><dd>needs_request</dd></dl>"
        "<h1>List Document Types</h1><th>A11-dispute</th>"
    )
    found = set(untranslated(visible_text(page)))
    assert {"extraction.note_made", "reason", "needs_request", "List Document Types"} <= found
    assert "A11-dispute" in found
    fine = (
        '<p>SHA-256 校验 a.mp4，见 <a href="/ledger/x_y/">https://example.org/a_b</a></p>'
        '<p><span class="code">A11</span> 争议时全程记录 <code>python -m quancheng.offline</code>'
        "</p><select><option>争议时全程记录（A11-dispute）</option></select>"
        "<script>var a_b = x.y;</script>"
    )
    assert untranslated(visible_text(fine)) == []


def _enrich(world):
    """What the pages show once work has happened: the act's findings (rule names), and an
    alert about a refused access (its detail: action, reason, kind of record)."""
    from quancheng.compliance.evaluate import evaluate_act

    evaluate_act(world.act)
    nosy = Client()
    nosy.force_login(world.persons["uninvolved"])
    assert nosy.get(world.segment.get_absolute_url()).status_code == 403


def test_every_page_for_every_role_reads_in_chinese(world):
    _enrich(world)
    problems: dict[str, set[str]] = {}
    for who, person in [*world.persons.items(), ("anonymous", None)]:
        client = Client()
        if person is not None:
            client.force_login(person)
        for name, path, _obj in _routes(world, api=False):
            if name in HEAVY and who not in LIGHT_CALLERS:
                continue
            text = _text(client.get(path))
            if text is None:
                continue
            for found in untranslated(text):
                problems.setdefault(f"{name} {path}", set()).add(found)
    report = "\n".join(f"{page}: {sorted(found)}" for page, found in sorted(problems.items()))
    assert not problems, "untranslated names on pages:\n" + report


@pytest.mark.parametrize("template", PDF_TEMPLATES)
def test_every_pdf_template_reads_in_chinese(template):
    """The template's own words (the data it is filled with is checked on the pages)."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string(template, stub_context(template))
    text = pdf_text(HTML(string=html).write_pdf())
    assert "示例" in text
    codes = code_text(html)
    assert [name for name in untranslated(text) if name not in codes] == []


# The detail pages the matrix's world has no object for, filled from a district's year of the demo
# (dossiers, transfers, requests, extractions, provisions, holds, disposals, spot checks,
# evaluations): route name → the model whose first row fills <pk>.
DEMO_PAGES = {
    "access:request_detail": "access.AccessRequest",
    "archive:dossier_detail": "archive.Dossier",
    "archive:dossier_supplement": "archive.Dossier",
    "archive:dossier_toc": "archive.Dossier",
    "archive:fourchecks_report": "archive.FourChecksReport",
    "archive:transfer_request": "archive.Dossier",
    "archive:transfer_detail": "archive.Transfer",
    "document_detail": "records.Document",
    "datarecord_detail": "records.DataRecord",
    "extraction:extraction_detail": "access.Extraction",
    # extraction:extraction_note: the demo's extraction waits for the head, so it has no note
    # yet; its template is read in test_every_pdf_template_reads_in_chinese.
    "extraction:provision_detail": "access.Provision",
    "retention:disposal_detail": "archive.DisposalProposal",
    "retention:hold_detail": "archive.Hold",
    "spot:spotcheck_detail": "supervision.SpotCheck",
    "spot:evaluation_detail": "supervision.Evaluation",
}
DEMO_READERS = ("zhangwei", "wangfang", "liuyang", "zhaolei", "sunli", "fengshen")


@pytest.fixture
def demo_year(settings, tmp_path):
    import datetime as dt

    from quancheng.demo.year import seed_year

    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    settings.QC_DOCUMENT_KEY_PASSPHRASE = "test-passphrase"  # noqa: S105
    settings.QC_TSA_URL = ""
    seed_year(dt.date(2026, 6, 30), acts=30, seed=7)
    _hold_and_disposal(dt.date(2037, 1, 1))  # past the sealed inspection's 10 years


def _hold_and_disposal(later):
    """What the year has none of: a hold on an act, and a disposal of a due item (years on)."""
    from quancheng.archive.disposal import due_items, propose_disposal
    from quancheng.archive.holds import request_hold
    from quancheng.archive.models import Hold
    from quancheng.cases.models import Act
    from quancheng.orgs.models import User

    custodian = User.objects.get(username="wangfang")
    acts = Act.objects.filter(agency=custodian.agency).order_by("pk")
    request_hold(custodian, reason=Hold.Reason.OBJECTION, note="当事人投诉", act=acts.first())
    import time_machine

    with time_machine.travel(later):
        due = due_items(custodian).first()
        propose_disposal(custodian, [(due.item_kind, due.item_id)], "保存期限已满")


def test_the_demo_years_detail_pages_read_in_chinese(demo_year):
    from django.apps import apps
    from django.urls import reverse

    from quancheng.orgs.models import User

    problems: dict[str, set[str]] = {}
    read: set[str] = set()
    for name, label in DEMO_PAGES.items():
        obj = apps.get_model(label).objects.order_by("pk").first()
        if obj is None:
            problems.setdefault(f"{name}: the demo year has no {label}", set())
            continue
        path = reverse(name, kwargs={"pk": obj.pk})
        for username in DEMO_READERS:
            client = Client()
            client.force_login(User.objects.get(username=username))
            text = _text(client.get(path))
            if text is None:
                continue
            read.add(name)
            for found in untranslated(text):
                problems.setdefault(f"{name} {path} ({username})", set()).add(found)
    report = "\n".join(f"{page}: {sorted(found)}" for page, found in sorted(problems.items()))
    assert not problems, "untranslated names on pages:\n" + report
    assert read == set(DEMO_PAGES), f"pages nobody could read: {set(DEMO_PAGES) - read}"
