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

    source = get_template(template).template.source  # type: ignore[attr-defined]  # the Django backend's Template
    context: dict[str, object] = {name: Stub() for name in set(re.findall(r"[A-Za-z_]\w*", source))}
    for names, seq in FOR_UNPACKING.findall(source):
        if "," in names:
            context[seq] = [tuple(Stub(1) for _ in names.split(","))]
    return context


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-q", "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def _pdf_codes() -> re.Pattern:
    """The words the PDF templates show as code on purpose (``<code>python -m …</code>``): a
    PDF's text keeps no tags, so they are taken out of it by name."""
    from django.template.loader import get_template

    sources = [
        get_template(template).template.source  # type: ignore[attr-defined]  # Django's Template
        for template in PDF_TEMPLATES
    ]
    sources = [re.sub(r"<(style|script)\b.*?</\1>", "", s, flags=re.DOTALL) for s in sources]
    words = {word for source in sources for word in code_text(source).split() if "{" not in word}
    return re.compile("|".join(rf"(?<!\S){re.escape(w)}(?!\S)" for w in sorted(words)) or "$^")


def _text(response) -> str | None:
    kind = response.get("Content-Type", "")
    if response.status_code != 200 or kind.startswith(NOT_PAGES):
        return None
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if kind.startswith("application/pdf"):
        return _pdf_codes().sub(" ", pdf_text(body))
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
    # The note's PDF of the extraction the fixture has the head approve and produce.
    "extraction:extraction_note": ("access.Extraction", {"note__isnull": False}),
    "extraction:provision_detail": "access.Provision",
    "content:scan_confirm": "records.Document",
    "retention:disposal_detail": "archive.DisposalProposal",
    "retention:hold_detail": "archive.Hold",
    "spot:spotcheck_detail": "supervision.SpotCheck",
    "spot:evaluation_detail": "supervision.Evaluation",
    # Made by the fixture (_party_copy_witness_and_redaction): the year has none of them.
    "documents:party_copy_file": "documents.PartyCopy",
    "witness_log_detail": "witness.WitnessedLog",
    "extraction:redaction_detail": "access.RedactedCopy",
}
DEMO_READERS = ("zhangwei", "wangfang", "liuyang", "zhaolei", "sunli", "fengshen")


def _first(label: str, **filters):
    from django.apps import apps

    return apps.get_model(label).objects.filter(**filters).order_by("pk").first()


def _sample_kwargs():
    sample = _first("supervision.SpotCheckSample")
    return sample and {"pk": sample.spot_check_id, "sample_pk": sample.pk}


def _report_kwargs():
    report = _first("supervision.SpotCheckReport")
    return report and {"report_pk": report.pk}


# Pages with parameters other than one <pk>: route name → their kwargs from the demo year.
DEMO_PAGES_WITH_KWARGS = {
    "spot:spotcheck_score": _sample_kwargs,
    "spot:spotcheck_report_download": _report_kwargs,
    "spot:sheet_edit": lambda: {"kind": "spotcheck"},
    "spot:sheet_edit evaluation": lambda: {"kind": "evaluation"},
}

# Every other route with parameters the matrix's world cannot fill, and why no person reads it
# here (test_every_parameterised_page_is_read keeps this list complete).
NOT_READ = {
    **dict.fromkeys(
        [
            "alert_close",
            "records_queue_link",
            "documents:party_copy_make",
            "documents:party_copy_serve",
            "registration_late_decide",
            "device_assignment_end",
            "login_unlock",
            "signing_pin_reset",
            "compliance:marker_withdraw",
            "compliance:explanation_review",
            "compliance:finding_answer",
            "compliance:finding_decide",
            "spot:spotcheck_finding",
            "spot:spotcheck_report",
            "spot:evaluation_finalise",
            "retention:disposal_decide",
            "retention:hold_decide",
            "retention:hold_lift",
            "retention:hold_lift_decide",
            "retention:offline_done",
            "archive:dossier_refresh",
            "archive:dossier_freeze",
            "archive:supplement_decide",
            "archive:transfer_decide",
            "access:request_decide",
            "access:request_withdraw",
            "extraction:extraction_decide",
            "extraction:extraction_retry",
            "extraction:provision_decide",
            "extraction:provision_provided",
            "extraction:redaction_decide",
            "extraction:redaction_new",
        ],
        "POST only: its answer is a redirect to a page read here, or the confirmation page "
        "(web/confirm.html, read through the journeys and the confirmation tests)",
    ),
    **dict.fromkeys(
        [
            "document_file",
            "document_download",
            "document_evidence",
            "datarecord_evidence",
            "documents:document_sm2_signature",
            "archive:transfer_package",
            "extraction:extraction_download",
            "extraction:redaction_media",
            "extraction:redaction_download",
            "statistics_download",
        ],
        "a file for a machine or another program (media, ZIP, CSV/XLSX, a signature), not a page",
    ),
    "witnessed_checkpoint": "the C2SP witness protocol (text for machines)",
    "witness_checkpoint": "the C2SP checkpoint note (text for machines)",
}


@pytest.fixture
def demo_year(settings, tmp_path):
    import datetime as dt

    from quancheng.demo.year import seed_year

    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    settings.QC_DOCUMENT_KEY_PASSPHRASE = "test-passphrase"
    settings.QC_TSA_URL = ""
    seed_year(dt.date(2026, 6, 30), acts=30, seed=7)
    _hold_and_disposal(dt.date(2037, 1, 1))  # past the sealed inspection's 10 years
    _extraction_with_its_note()
    _party_copy_witness_and_redaction()


def _extraction_with_its_note():
    """The year's extraction waits for the head: approved and produced here, it has its note
    (提取说明, the PDF for the court)."""
    from quancheng.access.extraction import decide_extraction
    from quancheng.access.models import Extraction
    from quancheng.access.package import produce
    from quancheng.orgs.models import User

    extraction = Extraction.objects.filter(status=Extraction.Status.PENDING).order_by("pk")[0]
    decide_extraction(User.objects.get(username="liuyang"), extraction, approve=True)
    produce(extraction.pk)
    extraction.refresh_from_db()
    assert extraction.note_id is not None, extraction.error


def _party_copy_witness_and_redaction():
    """What the year has none of, made through the services: the party's copy (当事人联) of a
    finalised document, a witnessed log (another installation's ledger, registered here and
    witnessed once) and a redacted copy asked for on the year's provision to the court."""
    from quancheng.access.models import Provision
    from quancheng.access.redaction import request_redaction
    from quancheng.documents.models import DocumentDraft
    from quancheng.documents.services import make_party_copy
    from quancheng.orgs.models import User
    from quancheng.records.models import Segment
    from quancheng.witness.tests.conftest import FakeLog
    from quancheng.witness.witnessing import add_checkpoint, register_log

    head = User.objects.get(username="liuyang")
    draft = DocumentDraft.objects.filter(
        agency=head.agency, status=DocumentDraft.Status.FINAL
    ).order_by("pk")[0]
    make_party_copy(draft.act.officers.order_by("pk")[0], draft)

    log = FakeLog(origin="jiangbei.example/ledger", leaves=4)
    register_log(None, log.origin, log.vkey, head.agency)
    assert add_checkpoint(log.request(0)).status == 200

    provision = Provision.objects.filter(status=Provision.Status.REQUESTED).order_by("pk")[0]
    segment = Segment.objects.get(pk=provision.items[0]["id"])
    request_redaction(provision.requested_by, provision, segment, mute="0-1")


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
    pages = []
    for name, label in DEMO_PAGES.items():
        label, filters = label if isinstance(label, tuple) else (label, {})
        obj = apps.get_model(label).objects.filter(**filters).order_by("pk").first()
        pages.append((name, label, obj and {"pk": obj.pk}))
    for name, kwargs in DEMO_PAGES_WITH_KWARGS.items():
        pages.append((name, name, kwargs()))
    for name, label, kwargs in pages:
        if kwargs is None:
            problems.setdefault(f"{name}: the demo year has no {label}", set())
            continue
        path = reverse(name.split()[0], kwargs=kwargs)
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
    everything = set(DEMO_PAGES) | set(DEMO_PAGES_WITH_KWARGS)
    assert read == everything, f"pages nobody could read: {everything - read}"


def test_every_parameterised_page_is_read(officer):
    """Every route with parameters is read: by the matrix's world (its ids), by the demo year
    (DEMO_PAGES, DEMO_PAGES_WITH_KWARGS), or listed in NOT_READ with the reason; those listed as
    POST only answer a GET with 405."""
    from quancheng.web.tests.test_authorization_matrix import PARAM, walk

    client = Client()
    client.force_login(officer)
    for route, name in walk():
        if NOT_READ.get(name, "").startswith("POST only"):
            path = "/" + PARAM.sub("999999", route)
            assert client.get(path).status_code == 405, f"{name} ({path}) answers a GET"

    by_world = {"act_id", "act_pk", "case_id", "subject_id", "draft_id", "device_id"}
    demo = set(DEMO_PAGES) | {name.split()[0] for name in DEMO_PAGES_WITH_KWARGS}
    unread = []
    for route, name in walk():
        if route.startswith("api/") or name.startswith("admin:"):
            continue
        params = {p for _, p in PARAM.findall(route)} or ({"pattern"} if "(?P<" in route else set())
        if not params or name in demo or name in NOT_READ:
            continue
        if params <= by_world or (params == {"pk"} and _world_fills(name)):
            continue
        unread.append(f"{name} ({route})")
    assert unread == [], "parameterised routes nobody reads in this module: " + ", ".join(unread)
    assert not (set(NOT_READ) & demo)


def _world_fills(name: str) -> bool:
    from quancheng.web.tests.test_authorization_matrix import World

    return World.object_for(_Everything(), name, "pk") is not None  # type: ignore[arg-type]


class _Everything:
    """Stands in for the world: every object it could fill <pk> with."""

    subject = act = case = segment = draft = device = object()
