"""Issue 15's holes in documents: only the act's officers draft, sign and finalise, and an
officer's signature is given by that officer alone (电子签名法 art. 13)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from quancheng.conftest import PASSWORD, make_person
from quancheng.documents import services
from quancheng.documents.models import DraftSignature
from quancheng.ledger.models import Event
from quancheng.records.models import Document

from .conftest import doc_type, signature_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def bystander(agency):
    """An officer of the same agency who is not on the act."""
    return make_person("wangqiang", "王强", agency)


@pytest.fixture
def draft(officer, act, catalogue):
    return services.create_draft(officer, act, doc_type("现场笔录"), {"findings": "未见异常"})


def _state(draft):
    draft.refresh_from_db()
    return (draft.data, draft.status, DraftSignature.objects.count(), Document.objects.count())


def test_an_uninvolved_officer_can_neither_overwrite_sign_nor_finalise_by_api(
    api_as, bystander, officer, colleague, draft, certified
):
    api = api_as(bystander)
    before = _state(draft)
    assert api.get(f"/document-drafts/{draft.pk}").status_code == 403
    r = api.client.put(
        f"/api/v1/document-drafts/{draft.pk}",
        {"data": {"findings": "篡改"}},
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.secret}"},
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    for o in (officer, colleague):
        r = api.post(
            f"/document-drafts/{draft.pk}/signatures",
            {"role": "officer", "officer_id": o.pk, "image": signature_png()},
        )
        assert r.status_code == 403, r.content
    r = api.post(
        f"/document-drafts/{draft.pk}/signatures",
        {"role": "party", "name": "王建国", "image": signature_png()},
    )
    assert r.status_code == 403
    assert api.post(f"/document-drafts/{draft.pk}/finalise").status_code == 403
    assert _state(draft) == before


def test_an_uninvolved_officer_cannot_use_the_pages_either(client, bystander, draft, certified):
    client.force_login(bystander)
    before = _state(draft)
    url = f"/documents/drafts/{draft.pk}"
    assert client.post(f"{url}/", {"findings": "篡改"}).status_code == 403
    assert client.get(f"{url}/sign/").status_code == 403
    assert client.post(f"{url}/finalise/").status_code == 403
    assert client.post(f"/documents/acts/{draft.act_id}/new/", {"doc_type": "x"}).status_code == 403
    assert _state(draft) == before


def test_an_officer_cannot_sign_in_a_colleagues_name_without_the_colleagues_password(
    officer, colleague, draft
):
    with pytest.raises(PermissionDenied):
        services.add_signature(
            officer, draft, role="officer", officer=colleague, image=signature_png()
        )
    with pytest.raises(PermissionDenied):
        services.add_signature(
            officer,
            draft,
            role="officer",
            officer=colleague,
            image=signature_png(),
            password="wrong",
            request=RequestFactory().post("/", REMOTE_ADDR="10.4.4.4"),
        )
    assert not DraftSignature.objects.exists()
    # The failed tries are on the ledger, naming the officer whose name was used.
    assert Event.objects.filter(action="documentdraft.signer_refused").count() == 2


def test_each_signature_records_how_it_was_authenticated_who_captured_it_and_where(
    api_as, officer, colleague, draft
):
    api = api_as(officer)
    path = f"/document-drafts/{draft.pk}/signatures"
    own = {"role": "officer", "officer_id": officer.pk, "image": signature_png()}
    theirs = {**own, "officer_id": colleague.pk, "password": PASSWORD}
    party = {"role": "party", "name": "王建国", "image": signature_png()}
    for body in (own, theirs, party):
        r = api.post(path, body)
        assert r.status_code == 201, r.content
    signatures = {s["name"]: s for s in r.json()["signatures"]}
    assert signatures[officer.full_name]["authentication"] == "session"
    assert signatures[colleague.full_name]["authentication"] == "password"
    assert signatures["王建国"]["authentication"] == "witnessed"
    assert {s["recorded_by_id"] for s in signatures.values()} == {officer.pk}
    assert all(s["device"].startswith("接口令牌") for s in signatures.values())
    event = Event.objects.filter(action="documentdraft.signed").latest("seq")
    assert '"authentication":"witnessed"' in event.body


def test_the_colleague_signs_in_their_own_session(client, colleague, draft):
    client.force_login(colleague)
    r = client.post(
        f"/documents/drafts/{draft.pk}/sign/",
        {"role": "officer", "officer": colleague.pk, "image": signature_png()},
        HTTP_USER_AGENT="签名平板",
    )
    assert r.status_code == 302
    signature = DraftSignature.objects.get()
    assert signature.officer == colleague and signature.recorded_by == colleague
    assert signature.authentication == "session" and "签名平板" in signature.device
