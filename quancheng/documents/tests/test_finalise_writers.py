"""Finalising holds no write transaction while it renders and signs (issue 16, point 4): other
writers go on meanwhile; the number reserved first stays with its draft, explained in the
ledger, so an interrupted finalisation leaves no unexplained gap."""

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from quancheng.cases.services import create_act
from quancheng.conftest import PASSWORD
from quancheng.documents import services
from quancheng.documents.models import DocumentDraft, NumberCounter
from quancheng.jobs.tests.instance import new_instance, wait_for
from quancheng.ledger.models import Event

from .conftest import doc_type, signature_png, terminal


def complete_draft(officer, colleague, act, findings="未见异常"):
    draft = services.create_draft(officer, act, doc_type("现场笔录"), {"findings": findings})
    for person in (officer, colleague):
        services.add_signature(
            officer,
            draft,
            role="officer",
            officer=person,
            image=signature_png(),
            password="" if person == officer else PASSWORD,  # each signs as themself
            request=terminal(),
        )
    services.add_signature(officer, draft, role="party", name="王建国", image=signature_png())
    return draft


def events(draft, action):
    return Event.objects.filter(
        object_type="documents.documentdraft", object_id=str(draft.pk), action=action
    )


@pytest.fixture
def instance(migrated_template, tmp_path):
    instance = new_instance(migrated_template, tmp_path / "var")
    yield instance
    instance.drop()


def seed_drafts() -> dict:
    """Run in the instance: a complete draft to finalise and another officer's draft."""
    from quancheng.conftest import credit_code, make_person
    from quancheng.demo.ca import make_demo_certificates
    from quancheng.documents.catalogue import load_catalogue
    from quancheng.orgs.models import Agency
    from quancheng.orgs.seed import load_organisation
    from quancheng.subjects.services import create_subject

    load_organisation()
    load_catalogue()
    agency = Agency.objects.get(code="d03-zf")
    officer = make_person("zhangwei", "张伟", agency)
    colleague = make_person("lina", "李娜", agency)
    make_demo_certificates(None, [agency])
    subject = create_subject(
        officer, agency, name="重庆市渝中区解放碑口腔诊所", kind="medical",
        address="渝中区邹容路100号", credit_code=credit_code(1),
    )  # fmt: skip
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    act = create_act(
        officer, agency, [officer, colleague], kind="inspection", started_at=start,
        ended_at=start + dt.timedelta(minutes=45), place=subject.address, subject=subject,
    )  # fmt: skip
    draft = complete_draft(officer, colleague, act)
    other = services.create_draft(colleague, act, doc_type("现场笔录"))
    return {"draft": draft.pk, "other": other.pk}


def finalise_after(draft_id: int, marker: str, fifo: str) -> None:
    """Run in the instance: finalise, with rendering held until the test writes to ``fifo``."""
    real_render = services.render_pdf

    def held_render(*args, **kwargs):
        Path(marker).touch()
        with open(fifo) as f:  # blocks until the test opens the other end
            f.read()
        return real_render(*args, **kwargs)

    services.render_pdf = held_render
    draft = DocumentDraft.objects.get(pk=draft_id)
    services.finalise(draft.created_by, draft)


SAVE_OTHER = """
from quancheng.documents import services
from quancheng.documents.models import DocumentDraft
other = DocumentDraft.objects.get(pk={pk})
services.save_draft(other.created_by, other, {{**other.data, "findings": "发现问题"}})
print("saved")
"""


def test_other_writers_are_not_blocked_while_a_document_renders(instance, tmp_path):
    """Real processes on the installation's database (SQLite: one writer at a time)."""
    ids = instance.python(
        "import json; from quancheng.documents.tests.test_finalise_writers import seed_drafts; "
        "print(json.dumps(seed_drafts()))"
    )
    marker, fifo = tmp_path / "rendering", tmp_path / "release"
    os.mkfifo(fifo)
    code = (
        "from quancheng.documents.tests.test_finalise_writers import finalise_after; "
        f"finalise_after({ids['draft']}, {str(marker)!r}, {str(fifo)!r})"
    )
    finaliser = instance.popen(code, tmp_path / "finaliser.log")
    try:
        wait_for(lambda: marker.exists() or finaliser.poll() is not None, "the rendering")
        assert marker.exists(), (tmp_path / "finaliser.log").read_text()
        # While the PDF renders, another officer's save commits (before, it waited for the
        # finalisation's write lock, then failed with "database is locked").
        saved = instance.manage("shell", "-c", SAVE_OTHER.format(pk=ids["other"]), check=False)
        assert saved.returncode == 0 and "saved" in saved.stdout, saved.stderr[-2000:]
    finally:
        with open(fifo, "w") as f:
            f.write("go")
        finaliser.wait(timeout=600)
    assert finaliser.returncode == 0, (tmp_path / "finaliser.log").read_text()
    state = instance.python(
        "import json; from quancheng.documents.models import DocumentDraft; "
        f"d = DocumentDraft.objects.get(pk={ids['draft']}); "
        "print(json.dumps([d.status, d.number]))"
    )
    assert state[0] == "final" and state[1]


@pytest.mark.django_db
def test_a_finalisation_interrupted_after_the_reservation_keeps_its_number(
    officer, colleague, act, certified, monkeypatch
):
    first = complete_draft(officer, colleague, act)
    second = complete_draft(officer, colleague, act, findings="发现问题")

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed while signing")

    monkeypatch.setattr(services, "sign_pdf", crash)
    with pytest.raises(RuntimeError):
        services.finalise(officer, first)
    first.refresh_from_db()
    assert first.status == "draft" and first.number.endswith("—001")  # 现场笔录: an 编号
    reserved = events(first, "documentdraft.number_reserved").get()
    assert json.loads(reserved.body) == {"number": first.number}
    monkeypatch.undo()

    # Another draft finalised meanwhile takes the next serial; the first keeps its own.
    assert services.finalise(officer, second).number.endswith("—002")
    document = services.finalise(officer, first)
    assert document.number == first.number
    assert NumberCounter.objects.get().last_serial == 2
    assert events(first, "documentdraft.number_reserved").count() == 1
    finalised = json.loads(events(first, "documentdraft.finalised").get().body)
    assert finalised["number"] == reserved_number(reserved)


def reserved_number(event) -> str:
    return json.loads(event.body)["number"]


@pytest.mark.django_db
def test_a_draft_changed_while_it_rendered_is_not_finalised(
    officer, colleague, act, certified, monkeypatch
):
    draft = complete_draft(officer, colleague, act)
    real_render = services.render_pdf

    def render_while_edited(*args, **kwargs):
        pdf = real_render(*args, **kwargs)
        DocumentDraft.objects.filter(pk=draft.pk).update(data={**draft.data, "findings": "改"})
        return pdf

    monkeypatch.setattr(services, "render_pdf", render_while_edited)
    with pytest.raises(ValidationError, match="定稿过程中被修改"):
        services.finalise(officer, draft)
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.number  # reserved, kept for the next attempt
    assert not events(draft, "documentdraft.finalised").exists()
